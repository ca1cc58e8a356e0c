"""The supplier's invoicing view, read from invoices/ without writing there: what is still to
invoice (deliveries certified by the commune, not yet on an invoice) with the references to
quote (order number, engagement number, the commune's Chorus Pro service code), and the state
of each invoice it sent as the buyer sees it. Invoices themselves go through Chorus Pro."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from groupement.contracts.models import Delivery, Order, OrderLine
from groupement.core.access import Actor
from groupement.extensions import db
from groupement.invoices.models import Invoice, InvoiceCheck, InvoiceLine, ServiceFait
from groupement.invoices.states import CheckResolution, InvoiceStatus
from groupement.suppliers import scope


def certified_delivery_ids(delivery_ids: Iterable[int]) -> set[int]:
    ids = list(delivery_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(ServiceFait.delivery_id).where(ServiceFait.delivery_id.in_(ids))))


@dataclass(frozen=True)
class ToInvoice:
    order: Order
    line: OrderLine
    certified: int  # quantity certified by the commune (service fait)
    invoiced: Decimal  # quantity on the invoices received (rejected ones left out)

    @property
    def remaining(self) -> Decimal:
        return Decimal(self.certified) - self.invoiced

    @property
    def chorus_service_code(self) -> str:
        return self.order.commune.chorus_service_code or ""


def to_invoice(actor: Actor) -> list[ToInvoice]:
    lines = scope.order_lines(actor).with_only_columns(OrderLine.id)
    certified = dict(
        db.session.execute(
            select(Delivery.order_line_id, func.sum(Delivery.quantity))
            .join(ServiceFait, ServiceFait.delivery_id == Delivery.id)
            .where(Delivery.order_line_id.in_(lines))
            .group_by(Delivery.order_line_id)
        ).all()
    )
    if not certified:
        return []
    received = scope.invoices(actor).where(Invoice.status != InvoiceStatus.REJECTED).with_only_columns(Invoice.id)
    invoiced = dict(
        db.session.execute(
            select(InvoiceLine.order_line_id, func.sum(InvoiceLine.quantity))
            .where(InvoiceLine.order_line_id.in_(list(certified)), InvoiceLine.invoice_id.in_(received))
            .group_by(InvoiceLine.order_line_id)
        ).all()
    )
    rows = []
    for line in db.session.scalars(
        scope.order_lines(actor)
        .where(OrderLine.id.in_(list(certified)))
        .options(joinedload(OrderLine.order).joinedload(Order.commune), joinedload(OrderLine.contract_price))
        .order_by(OrderLine.order_id, OrderLine.id)
    ):
        row = ToInvoice(line.order, line, int(certified[line.id]), Decimal(str(invoiced.get(line.id) or 0)))
        if row.remaining > 0:
            rows.append(row)
    return rows


# The buyer's states, as the supplier reads them.
SUPPLIER_LABELS = {
    InvoiceStatus.IMPORTED: "reçue",
    InvoiceStatus.CHECKED: "reçue, contrôlée",
    InvoiceStatus.DISPUTED: "en litige",
    InvoiceStatus.SPLIT: "répartie entre les communes",
    InvoiceStatus.RECOVERED: "répartie, titres émis",
    InvoiceStatus.SETTLED: "payée",
    InvoiceStatus.REJECTED: "rejetée",
}


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    reasons: list[str]  # the dispute's or the rejection's reasons

    @property
    def state(self) -> str:
        return SUPPLIER_LABELS[self.invoice.status]


def invoice_rows(actor: Actor) -> list[InvoiceRow]:
    invoices = db.session.scalars(
        scope.invoices(actor)
        .options(joinedload(Invoice.contract))
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
    ).all()
    disputed = {}
    ids = [i.id for i in invoices if i.status is InvoiceStatus.DISPUTED]
    if ids:
        for check in db.session.scalars(
            scope.invoice_checks(actor)
            .where(InvoiceCheck.invoice_id.in_(ids), InvoiceCheck.ok.is_(False))
            .where(InvoiceCheck.resolution != CheckResolution.ACCEPTED)
            .order_by(InvoiceCheck.id)
        ):
            text = check.message + (f" — {check.resolution_comment}" if check.resolution_comment else "")
            disputed.setdefault(check.invoice_id, []).append(text)
    rows = []
    for invoice in invoices:
        if invoice.status is InvoiceStatus.REJECTED:
            reasons = [invoice.rejection_reason] if invoice.rejection_reason else []
        else:
            reasons = disputed.get(invoice.id, [])
        rows.append(InvoiceRow(invoice, reasons))
    return rows
