"""Re-checking invoices imported before the official EN 16931 rules ran at import (or whose
check was never stored): the official rules are run on the supplier's file where it was kept (the
PDF, archived byte for byte at import), and the result stored like an import's, audited per
invoice. An invoice whose file was not kept (an XML imported before the rules ran) gets an
"unavailable" check naming why, so the page says it and the command does not try it again."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from groupement.core import audit
from groupement.core.access import Actor
from groupement.core.errors import Forbidden
from groupement.extensions import db
from groupement.invoices import scope as invoice_scope
from groupement.invoices.einvoice.official_rules import INVALID, UNAVAILABLE, OfficialResult, check_file
from groupement.invoices.invoice_file import kept_pdf
from groupement.invoices.models import Invoice
from groupement.invoices.official_findings import OfficialCheck, record
from groupement.invoices.scope import ACCOUNTING_ROLES
from groupement.invoices.states import InvoiceStatus


@dataclass
class RecheckReport:
    checked: int = 0
    by_outcome: dict[str, int] = field(default_factory=dict)
    blocked: list[str] = field(default_factory=list)  # numbers of invoices a fatal rule now blocks


def unchecked_invoices(actor: Actor, limit: int | None = None) -> list[Invoice]:
    """The actor's invoices (rejected ones aside) with no official check stored, oldest first."""
    checked = select(OfficialCheck.invoice_id)
    statement = (
        invoice_scope.invoices(actor)
        .where(Invoice.id.not_in(checked), Invoice.status != InvoiceStatus.REJECTED)
        .order_by(Invoice.imported_at, Invoice.id)
    )
    return list(db.session.scalars(statement.limit(limit) if limit else statement))


def recheck_official(actor: Actor, limit: int | None = None) -> RecheckReport:
    """Run and store the official rules on each unchecked invoice (flushes, never commits)."""
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    report = RecheckReport()
    for invoice in unchecked_invoices(actor, limit):
        document = kept_pdf(invoice)
        if document is not None:
            result = check_file(document.content, document.file_name or invoice.file_name)
        else:
            result = OfficialResult(
                UNAVAILABLE,
                message=f"Contrôle officiel EN 16931 non effectué : le fichier « {invoice.file_name} » importé "
                "avant ce contrôle n'a pas été conservé ; réimportez-le ou demandez-le au fournisseur.",
            )
        record(invoice.id, result)
        report.checked += 1
        report.by_outcome[result.outcome] = report.by_outcome.get(result.outcome, 0) + 1
        blocks = result.outcome == INVALID and invoice.status in (
            InvoiceStatus.IMPORTED,
            InvoiceStatus.CHECKED,
            InvoiceStatus.DISPUTED,
        )
        if blocks:
            report.blocked.append(invoice.number)
        audit.record(
            actor.user_id,
            "invoice.official_recheck",
            "invoice",
            invoice.id,
            after={
                "outcome": result.outcome,
                "artefact": result.artefact,
                "fatal": [f.rule for f in result.fatal][:20],
                "blocks_split": blocks,
            },
        )
    db.session.flush()
    return report
