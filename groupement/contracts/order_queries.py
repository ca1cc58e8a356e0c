"""Reading orders: the orders in scope, their list, an order's detail with its deliveries and VAT."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from groupement.campaigns import scope as campaign_scope
from groupement.contracts.models import Contract, ContractPrice, Delivery, Order, OrderLine
from groupement.contracts.order_rules import (
    DeliveryStatus,
    VatRow,
    delivery_status,
    order_delivery_status,
    vat_breakdown,
)
from groupement.core.access import COMMUNE_ROLES, Actor
from groupement.core.errors import NotFound
from groupement.core.timeutil import to_paris
from groupement.extensions import db
from groupement.lots.models import Lot, LotLine
from groupement.organisations import scope

# --- reading orders -------------------------------------------------------------------------------


def orders_in_scope(actor: Actor) -> Select:
    """Orders under the contracts of the campaigns the actor reaches (scope.campaigns), of the
    organisations it reaches (scope.restrict): a commune's own orders; the coordinator's side,
    every order of its groupements."""
    campaigns = campaign_scope.campaigns(actor).subquery()
    statement = (
        select(Order)
        .join(Contract, Contract.id == Order.contract_id)
        .join(Lot, Lot.id == Contract.lot_id)
        .where(Lot.campaign_id.in_(select(campaigns.c.id)))
    )
    return scope.restrict(statement, Order.commune_id, actor)


@dataclass(frozen=True)
class OrderRow:
    order: Order
    status: DeliveryStatus


def list_orders(actor: Actor, contract_id: int | None = None) -> list[OrderRow]:
    statement = orders_in_scope(actor).options(
        joinedload(Order.commune),
        joinedload(Order.contract).joinedload(Contract.supplier),
        joinedload(Order.contract).joinedload(Contract.lot),
        selectinload(Order.lines).selectinload(OrderLine.deliveries),
    )
    if contract_id is not None:
        statement = statement.where(Order.contract_id == contract_id)
    orders = db.session.scalars(statement.order_by(Order.created_at.desc(), Order.id.desc())).unique().all()
    return [
        OrderRow(
            order, order_delivery_status([(ln.quantity, sum(d.quantity for d in ln.deliveries)) for ln in order.lines])
        )
        for order in orders
    ]


@dataclass(frozen=True)
class OrderLineView:
    line: OrderLine
    lot_line: LotLine
    deliveries: list[Delivery]

    @property
    def delivered(self) -> int:
        return sum(d.quantity for d in self.deliveries)

    @property
    def remaining(self) -> int:
        return max(self.line.quantity - self.delivered, 0)

    @property
    def status(self) -> DeliveryStatus:
        return delivery_status(self.line.quantity, self.delivered)


@dataclass
class OrderDetail:
    order: Order
    lines: list[OrderLineView]
    vat: list[VatRow]
    can_deliver: bool  # the actor belongs to the ordering commune

    @property
    def order_date(self) -> date:
        return to_paris(self.order.created_at).date()

    @property
    def total_vat(self) -> Decimal:
        return sum((row.vat for row in self.vat), Decimal("0.00"))

    @property
    def total_ttc(self) -> Decimal:
        return self.order.total_ht + self.total_vat

    @property
    def status(self) -> DeliveryStatus:
        return order_delivery_status([(v.line.quantity, v.delivered) for v in self.lines])


def order_detail(actor: Actor, order_id: int) -> OrderDetail:
    order = db.session.scalar(
        orders_in_scope(actor)
        .where(Order.id == order_id)
        .options(
            joinedload(Order.commune),
            joinedload(Order.created_by),
            joinedload(Order.contract).joinedload(Contract.supplier),
            joinedload(Order.contract).joinedload(Contract.lot),
        )
    )
    if order is None:
        raise NotFound("Bon de commande introuvable.")
    lines = db.session.scalars(
        select(OrderLine)
        .where(OrderLine.order_id == order.id)
        .options(
            joinedload(OrderLine.contract_price).joinedload(ContractPrice.lot_line),
            selectinload(OrderLine.deliveries),
        )
        .order_by(OrderLine.id)
    ).all()
    views = [
        OrderLineView(line, line.contract_price.lot_line, sorted(line.deliveries, key=lambda d: (d.delivered_on, d.id)))
        for line in lines
    ]
    vat = vat_breakdown((line.amount_ht, line.vat_rate) for line in lines)
    can_deliver = actor.role in COMMUNE_ROLES and order.commune_id == actor.organisation_id
    return OrderDetail(order, views, vat, can_deliver)


def order_of_line(actor: Actor, order_line_id: int) -> Order:
    """The order of a line in the actor's scope (NotFound otherwise)."""
    return line_in_scope(actor, order_line_id).order


def line_in_scope(actor: Actor, order_line_id: int, lock: bool = False) -> OrderLine:
    statement = select(OrderLine).where(
        OrderLine.id == order_line_id, OrderLine.order_id.in_(orders_in_scope(actor).with_only_columns(Order.id))
    )
    if lock:
        statement = statement.with_for_update(of=OrderLine)
    line = db.session.scalar(statement)
    if line is None:
        raise NotFound("Ligne de commande introuvable.")
    return line
