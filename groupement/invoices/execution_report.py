"""The execution report of a contract, per commune: needs declared in the campaign (validated
shares × initial price), ordered, delivered, invoiced and paid (HT), against the maximum. A
commune's users see their own line only; the coordinator's side sees every commune. Lives in
invoices (it reads invoices), its page joins the contracts blueprint (invoices/web/execution_report.py).

- delivered: Σ quantity received × (unit price of the order line + eco-participation), each line to the cent;
- invoiced: Σ net amounts of the invoice lines matched to the contract's order lines, invoices not
  rejected (credit notes are negative); paid: the same for the invoices settled (soldées)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from groupement.contracts import scope as contract_scope
from groupement.contracts.consumption import contract_prices
from groupement.contracts.models import Contract, Delivery, Order, OrderLine
from groupement.core.access import COMMUNE_ROLES, Actor
from groupement.core.errors import NotFound
from groupement.core.money import line_amount, round_half_up, to_cents
from groupement.extensions import db
from groupement.invoices.models import Invoice, InvoiceLine
from groupement.invoices.states import InvoiceStatus
from groupement.lots.models import LotLineShare
from groupement.organisations import scope as organisation_scope
from groupement.organisations.models import Organisation

ZERO = Decimal("0.00")
PERCENT = Decimal("0.1")
FIGURES = ("needs", "ordered", "delivered", "invoiced", "paid")


@dataclass(frozen=True)
class ReportRow:
    commune_id: int
    commune: str
    needs: Decimal
    ordered: Decimal
    delivered: Decimal
    invoiced: Decimal
    paid: Decimal

    @property
    def ordered_of_needs(self) -> Decimal | None:
        return round_half_up(self.ordered * 100 / self.needs, PERCENT) if self.needs else None


@dataclass(frozen=True)
class ExecutionReport:
    contract: Contract
    rows: list[ReportRow]
    total: ReportRow
    whole_contract: bool  # False: a commune's view, its own line only

    @property
    def ordered_of_maximum(self) -> Decimal:
        return round_half_up(self.total.ordered * 100 / self.contract.maximum_amount, PERCENT)


def execution_report(actor: Actor, contract_id: int) -> ExecutionReport:
    contract = db.session.scalar(contract_scope.contracts(actor).where(Contract.id == contract_id))
    if contract is None:
        raise NotFound("Contrat introuvable.")
    own = actor.role in COMMUNE_ROLES
    prices = contract_prices(contract.id)
    unit = {p.lot_line_id: p.unit_price + p.eco_participation for p in prices}
    shares = select(LotLineShare.commune_id, LotLineShare.lot_line_id, LotLineShare.quantity).where(
        LotLineShare.lot_line_id.in_(list(unit))
    )
    orders = select(Order.commune_id, func.sum(Order.total_ht)).where(Order.contract_id == contract.id)
    delivered = (
        select(Order.commune_id, OrderLine.unit_price, OrderLine.eco_participation, func.sum(Delivery.quantity))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Delivery, Delivery.order_line_id == OrderLine.id)
        .where(Order.contract_id == contract.id)
    )
    invoiced = (
        select(Order.commune_id, Invoice.status, func.sum(InvoiceLine.net_amount))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(InvoiceLine, InvoiceLine.order_line_id == OrderLine.id)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Order.contract_id == contract.id, Invoice.status != InvoiceStatus.REJECTED)
    )
    if own:
        shares = shares.where(LotLineShare.commune_id == actor.organisation_id)
        orders = orders.where(Order.commune_id == actor.organisation_id)
        delivered = delivered.where(Order.commune_id == actor.organisation_id)
        invoiced = invoiced.where(Order.commune_id == actor.organisation_id)
    figures: dict[int, dict[str, Decimal]] = {}

    def add(commune_id: int, name: str, amount: Decimal) -> None:
        row = figures.setdefault(commune_id, dict.fromkeys(FIGURES, ZERO))
        row[name] += amount

    for commune_id, line_id, quantity in db.session.execute(shares):
        add(commune_id, "needs", line_amount(quantity, unit[line_id]))
    for commune_id, total in db.session.execute(orders.group_by(Order.commune_id)):
        add(commune_id, "ordered", to_cents(Decimal(str(total or 0))))
    grouped = delivered.group_by(Order.commune_id, OrderLine.id, OrderLine.unit_price, OrderLine.eco_participation)
    for commune_id, price, eco, quantity in db.session.execute(grouped):
        add(commune_id, "delivered", line_amount(int(quantity), price + eco))
    for commune_id, status, total in db.session.execute(invoiced.group_by(Order.commune_id, Invoice.status)):
        amount = to_cents(Decimal(str(total or 0)))
        add(commune_id, "invoiced", amount)
        if status is InvoiceStatus.SETTLED:
            add(commune_id, "paid", amount)
    names = {
        o.id: o.name
        for o in db.session.scalars(organisation_scope.organisations(actor).where(Organisation.id.in_(list(figures))))
    }
    rows = sorted(
        (ReportRow(cid, names.get(cid, "—"), **values) for cid, values in figures.items()),
        key=lambda r: r.commune,
    )
    total = ReportRow(0, "Total", **{f: sum((getattr(r, f) for r in rows), ZERO) for f in FIGURES})
    return ExecutionReport(contract, rows, total, not own)
