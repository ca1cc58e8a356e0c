"""Scope of the invoicing area, built on organisations/scope.py (DESIGN.md §3.4).

An invoice belongs to the coordinator that received it; its checks, allocations, titles and
payments reach that coordinator through it. The coordinator's side (coordinator, accountant,
admin) reaches its own coordinator's invoices; a commune's users reach only the invoices with a
share for their commune, and only that share. Anything else is NotFound (404, never 403).
"""

from __future__ import annotations

from sqlalchemy import Select, select

from groupement.core.access import COMMUNE_ROLES, COORDINATOR_SIDE_ROLES, Actor
from groupement.core.errors import Forbidden, NotFound
from groupement.extensions import db
from groupement.invoices.models import Allocation, Invoice, InvoiceBatch, InvoiceCheck, Payment, RecoveryTitle
from groupement.invoices.states import InvoiceStatus, check_invoice_transition
from groupement.organisations import scope
from groupement.organisations.models import Groupement, Membership, Organisation


def invoices(actor: Actor) -> Select:
    if actor.role in COMMUNE_ROLES:
        shared_with_commune = select(Allocation.invoice_id).where(Allocation.commune_id == actor.organisation_id)
        return select(Invoice).where(Invoice.id.in_(shared_with_commune))
    return scope.owned_by_coordinator(select(Invoice), Invoice.coordinator_id, actor)


def batches(actor: Actor) -> Select:
    """The batches of invoices (zip, folder) of the actor's coordinator; none for a commune."""
    return scope.owned_by_coordinator(select(InvoiceBatch), InvoiceBatch.coordinator_id, actor)


def get_invoice(actor: Actor, invoice_id: int, for_update: bool = False) -> Invoice:
    statement = invoices(actor).where(Invoice.id == invoice_id)
    if for_update:
        statement = statement.with_for_update()
    invoice = db.session.scalar(statement)
    if invoice is None:
        raise NotFound("Facture introuvable.")
    return invoice


def allocations(actor: Actor) -> Select:
    statement = select(Allocation).join(Invoice, Invoice.id == Allocation.invoice_id)
    if actor.role in COMMUNE_ROLES:
        return statement.where(Allocation.commune_id == actor.organisation_id)
    return scope.owned_by_coordinator(statement, Invoice.coordinator_id, actor)


def titles(actor: Actor) -> Select:
    statement = select(RecoveryTitle).join(Invoice, Invoice.id == RecoveryTitle.invoice_id)
    if actor.role in COMMUNE_ROLES:
        return statement.where(RecoveryTitle.commune_id == actor.organisation_id)
    return scope.owned_by_coordinator(statement, Invoice.coordinator_id, actor)


def get_title(actor: Actor, title_id: int, message: str = "Titre introuvable.") -> RecoveryTitle:
    title = db.session.scalar(titles(actor).where(RecoveryTitle.id == title_id))
    if title is None:
        raise NotFound(message)
    return title


def payments(actor: Actor) -> Select:
    titles_reached = titles(actor).with_only_columns(RecoveryTitle.id)
    return select(Payment).where(Payment.title_id.in_(titles_reached))


def checks(actor: Actor) -> Select:
    statement = select(InvoiceCheck).join(Invoice, Invoice.id == InvoiceCheck.invoice_id)
    return scope.owned_by_coordinator(statement, Invoice.coordinator_id, actor)


def get_check(actor: Actor, check_id: int) -> InvoiceCheck:
    check = db.session.scalar(checks(actor).where(InvoiceCheck.id == check_id))
    if check is None:
        raise NotFound("Contrôle introuvable.")
    return check


def member_communes(actor: Actor) -> list[Organisation]:
    """The member communes of the groupements of the actor's coordinator, once, by INSEE code."""
    members = (
        select(Membership.commune_id)
        .join(Groupement, Groupement.id == Membership.groupement_id)
        .where(Groupement.coordinator_id == actor.organisation_id)
    )
    return list(
        db.session.scalars(
            scope.organisations(actor).where(Organisation.id.in_(members)).order_by(Organisation.insee_code)
        )
    )


def get_commune(actor: Actor, commune_id: int) -> Organisation:
    """A commune the actor reaches (its own for a commune's users), else NotFound."""
    return scope.get_scoped(Organisation, commune_id, Organisation.id, actor)


# --- the guards every step shares ----------------------------------------------------------------

ACCOUNTING_ROLES = COORDINATOR_SIDE_ROLES  # the coordinator's side keeps the invoices


def invoice_for_update(actor: Actor, invoice_id: int) -> Invoice:
    """The invoice a step of the accounting side works on, locked for the rest of the unit of work."""
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    return get_invoice(actor, invoice_id, for_update=True)


def advance(action: str, current: InvoiceStatus, target: InvoiceStatus) -> InvoiceStatus:
    """The invoice's next state if its transition table allows it, else InvoiceTransitionRefused."""
    return check_invoice_transition(action, current, target)
