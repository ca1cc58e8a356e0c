"""Recovering a split invoice from the communes: titres de recettes, then the payments on them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from groupement.core import audit
from groupement.core.access import Actor
from groupement.core.errors import Forbidden, ServiceError
from groupement.core.formatting import euros
from groupement.core.french import de
from groupement.core.money import to_cents
from groupement.extensions import db
from groupement.invoices import scope as invoice_scope
from groupement.invoices.models import (
    Allocation,
    Payment,
    RecoveryTitle,
)
from groupement.invoices.scope import ACCOUNTING_ROLES, advance, invoice_for_update
from groupement.invoices.states import (
    InvoiceStatus,
    recovery_account,
)

# --- recovery titles, payments, ledger ---------------------------------------------------------


def issue_recovery_titles(actor: Actor, invoice_id: int, due_date: date) -> list[RecoveryTitle]:
    """One titre de recettes per commune for its TTC share (no VAT on the re-invoice between
    public bodies: the coordinator recovers the TTC, domain-facts §7)."""
    invoice = invoice_for_update(actor, invoice_id)
    advance("issue_titles", invoice.status, InvoiceStatus.RECOVERED)
    allocations = db.session.scalars(
        invoice_scope.allocations(actor).where(Allocation.invoice_id == invoice.id).order_by(Allocation.commune_id)
    ).all()
    year = invoice.issue_date.year
    last = db.session.scalar(
        select(func.count()).select_from(RecoveryTitle).where(RecoveryTitle.number.like(f"TR-{year}-%"))
    )
    titles = []
    for sequence, allocation in enumerate(allocations, start=last + 1):
        main_line = max(allocation.lines, key=lambda line: abs(line.ht)) if allocation.lines else None
        account = recovery_account(main_line.account if main_line else None)
        title = RecoveryTitle(
            number=f"TR-{year}-{sequence:05d}",
            invoice_id=invoice.id,
            commune_id=allocation.commune_id,
            object=f"Remboursement de la facture {invoice.number} {de(invoice.seller_name)} "
            f"({invoice.kind.label}, groupement de commandes)"[:300],
            amount_ttc=allocation.ttc,
            account=account,
            due_date=due_date,
            issued_by_id=actor.user_id,
        )
        db.session.add(title)
        titles.append(title)
    invoice.status = advance("issue_titles", invoice.status, InvoiceStatus.RECOVERED)
    db.session.flush()
    audit.record(
        actor.user_id,
        "invoice.titles",
        "invoice",
        invoice.id,
        after={"titles": [t.number for t in titles], "total": sum(t.amount_ttc for t in titles)},
    )
    return titles


def record_payment(actor: Actor, title_id: int, paid_on: date, amount: Decimal, reference: str = "") -> Payment:
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    title = invoice_scope.get_title(actor, title_id)
    amount = to_cents(amount)
    paid = sum((p.amount for p in title.payments), Decimal(0))
    if amount == 0 or abs(paid + amount) > abs(title.amount_ttc) or (amount < 0) != (title.amount_ttc < 0):
        raise ServiceError(
            f"Montant invalide : reste à encaisser {euros(title.amount_ttc - paid)} sur le titre {title.number}."
        )
    payment = Payment(paid_on=paid_on, amount=amount, reference=reference.strip()[:100], recorded_by_id=actor.user_id)
    title.payments.append(payment)  # through the relationship, so the settlement check below sees it
    db.session.flush()
    invoice = title.invoice
    titles = db.session.scalars(invoice_scope.titles(actor).where(RecoveryTitle.invoice_id == invoice.id)).all()
    if all(sum((p.amount for p in t.payments), Decimal(0)) == t.amount_ttc for t in titles):
        invoice.status = advance("settle", invoice.status, InvoiceStatus.SETTLED)
    audit.record(
        actor.user_id,
        "payment.record",
        "recovery_title",
        title.id,
        after={"amount": amount, "paid_on": paid_on, "reference": payment.reference},
    )
    return payment
