"""Reading the invoicing area: the invoices list, a commune's statement and ledger, a contract's
reconciliation. Queries only, all through invoices/scope.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from groupement.contracts import scope as contract_scope
from groupement.contracts.models import Contract, Delivery, Order, OrderLine
from groupement.core.access import Actor
from groupement.core.errors import Forbidden, NotFound
from groupement.core.money import to_cents
from groupement.core.search import contains
from groupement.extensions import db
from groupement.invoices import scope as invoice_scope
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.models import (
    Allocation,
    AllocationLine,
    Invoice,
    Payment,
    RecoveryTitle,
)
from groupement.invoices.scope import ACCOUNTING_ROLES
from groupement.invoices.states import (
    InvoiceStatus,
)
from groupement.organisations.models import Organisation


def list_invoices(actor: Actor, status: InvoiceStatus | None = None, search: str = "") -> list[Invoice]:
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    statement = invoice_scope.invoices(actor).order_by(Invoice.issue_date.desc(), Invoice.id.desc())
    if status is not None:
        statement = statement.where(Invoice.status == status)
    for word in search.split():
        word = word.lower()
        statement = statement.where(
            contains(func.lower(Invoice.number), word) | contains(func.lower(Invoice.seller_name), word)
        )
    return list(db.session.scalars(statement))


def invoice_detail(actor: Actor, invoice_id: int) -> Invoice:
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    return invoice_scope.get_invoice(actor, invoice_id)


@dataclass(frozen=True)
class Statement:
    invoice: Invoice
    commune: Organisation
    allocation: Allocation
    lines: list[AllocationLine]
    key_label: str


def commune_statement(actor: Actor, invoice_id: int, commune_id: int) -> Statement:
    """A commune's état de répartition: its own commune only, for commune users."""
    allocation = db.session.scalar(
        invoice_scope.allocations(actor).where(Allocation.invoice_id == invoice_id, Allocation.commune_id == commune_id)
    )
    if allocation is None:
        raise NotFound("État de répartition introuvable.")
    return Statement(
        allocation.invoice,
        allocation.commune,
        allocation,
        sorted(allocation.lines, key=lambda line: line.line_key),
        AllocationKey(allocation.allocation_key).label,
    )


@dataclass(frozen=True)
class LedgerRow:
    invoice_id: int
    invoice_number: str
    invoice_date: date
    supplier: str
    ttc_allocated: Decimal
    titled: Decimal
    paid: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.titled - self.paid


@dataclass(frozen=True)
class Ledger:
    commune: Organisation
    rows: list[LedgerRow]

    @property
    def totals(self) -> dict[str, Decimal]:
        return {
            name: sum((getattr(row, name) for row in self.rows), Decimal(0))
            for name in ("ttc_allocated", "titled", "paid", "outstanding")
        }


def commune_ledger(actor: Actor, commune_id: int) -> Ledger:
    """Invoiced, titled, paid and outstanding for one commune, invoice by invoice."""
    try:
        commune = invoice_scope.get_commune(actor, commune_id)
    except NotFound:
        raise NotFound("Commune introuvable.") from None
    reached = invoice_scope.invoices(actor).with_only_columns(Invoice.id)
    titled = (
        select(RecoveryTitle.invoice_id, RecoveryTitle.amount_ttc, RecoveryTitle.id)
        .where(RecoveryTitle.commune_id == commune_id)
        .subquery()
    )
    paid = select(Payment.title_id, func.sum(Payment.amount).label("paid")).group_by(Payment.title_id).subquery()
    rows = db.session.execute(
        select(
            Invoice.id,
            Invoice.number,
            Invoice.issue_date,
            Invoice.seller_name,
            Allocation.ttc,
            titled.c.amount_ttc,
            paid.c.paid,
        )
        .join(Allocation, Allocation.invoice_id == Invoice.id)
        .outerjoin(titled, titled.c.invoice_id == Invoice.id)
        .outerjoin(paid, paid.c.title_id == titled.c.id)
        .where(Allocation.commune_id == commune_id, Invoice.id.in_(reached))
        .order_by(Invoice.issue_date, Invoice.id)
    ).all()
    return Ledger(
        commune,
        [
            LedgerRow(i, number, issued, seller, ttc, title or Decimal(0), Decimal(str(p)) if p else Decimal(0))
            for i, number, issued, seller, ttc, title, p in rows
        ],
    )


@dataclass(frozen=True)
class ContractReconciliation:
    contract: Contract
    ordered: Decimal
    delivered: Decimal
    invoiced: Decimal
    paid: Decimal


def contract_reconciliation(actor: Actor, contract_id: int) -> ContractReconciliation:
    """Ordered vs delivered vs invoiced vs paid, HT except paid (TTC recovered from the communes)."""
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    contract = db.session.scalar(contract_scope.contracts(actor).where(Contract.id == contract_id))
    if contract is None:
        raise NotFound("Marché introuvable.")
    reached = invoice_scope.invoices(actor).with_only_columns(Invoice.id)
    ordered_lines = db.session.execute(
        select(OrderLine.id, OrderLine.amount_ht, OrderLine.quantity, OrderLine.unit_price, OrderLine.eco_participation)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.contract_id == contract.id)
    ).all()
    delivered_qty = dict(
        db.session.execute(
            select(Delivery.order_line_id, func.sum(Delivery.quantity))
            .where(Delivery.order_line_id.in_([row.id for row in ordered_lines]))
            .group_by(Delivery.order_line_id)
        ).all()
    )
    invoiced = db.session.scalars(
        select(Invoice.total_ht).where(Invoice.contract_id == contract.id, Invoice.id.in_(reached))
    ).all()
    paid = db.session.scalars(
        select(Payment.amount)
        .join(RecoveryTitle, RecoveryTitle.id == Payment.title_id)
        .join(Invoice, Invoice.id == RecoveryTitle.invoice_id)
        .where(Invoice.contract_id == contract.id, Invoice.id.in_(reached))
    ).all()
    return ContractReconciliation(
        contract,
        ordered=sum((row.amount_ht for row in ordered_lines), Decimal(0)),
        delivered=sum(
            (
                to_cents(delivered_qty.get(row.id, 0) * (row.unit_price + row.eco_participation))
                for row in ordered_lines
            ),
            Decimal(0),
        ),
        invoiced=sum(invoiced, Decimal(0)),
        paid=sum(paid, Decimal(0)),
    )
