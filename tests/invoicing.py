"""Test helper: take an imported invoice through its controls as the accounting side would, so
that tests about what comes after (split, titles, payments, scope) can split it."""

from __future__ import annotations

from groupement.core.access import Actor, Role
from groupement.invoices.matching import blocking_checks, match_invoice, resolve_check
from groupement.invoices.scope import get_invoice
from groupement.invoices.states import CheckResolution

COMMENT = "Contrôlé par le test : anomalie acceptée pour la répartition."


def approve_for_split(actor: Actor, invoice_id: int, comment: str = COMMENT) -> list[int]:
    """Match the invoice, then accept each blocking anomaly with a comment, as the coordinator of
    the actor's organisation (the service fait override is its decision). The accepted checks' ids."""
    coordinator = Actor(None, Role.COORDINATOR, actor.organisation_id)
    match_invoice(coordinator, invoice_id)
    invoice = get_invoice(coordinator, invoice_id)
    accepted = []
    for check in blocking_checks(invoice):
        resolve_check(coordinator, check.id, CheckResolution.ACCEPTED, comment)
        accepted.append(check.id)
    return accepted
