"""Reading orders: the orders in scope, their list, an order's detail with its deliveries and VAT."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

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
    return [OrderRow(order, delivery_status_of(order)) for order in orders]


def delivery_status_of(order: Order) -> DeliveryStatus:
    """From the order's lines and their deliveries (loaded with it: selectinload)."""
    return order_delivery_status([(ln.quantity, sum(d.quantity for d in ln.deliveries)) for ln in order.lines])


def placed_on(order: Order) -> date:
    """The Paris day the order was placed, as printed on it."""
    return to_paris(order.created_at).date()


class Delivered(Protocol):
    quantity: int


@dataclass(frozen=True)
class OrderLineView:
    """An order line with what was delivered of it: Delivery rows, or the supplier space's view of
    them (with who declared and whether certified); only their quantities count here."""

    line: OrderLine
    lot_line: LotLine
    deliveries: Sequence[Delivered]

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
class OrderFigures:
    """An order, its lines with their deliveries, its VAT per rate: what every order page shows."""

    order: Order
    lines: list[OrderLineView]
    vat: list[VatRow]

    @property
    def order_date(self) -> date:
        return placed_on(self.order)

    @property
    def total_vat(self) -> Decimal:
        return sum((row.vat for row in self.vat), Decimal("0.00"))

    @property
    def total_ttc(self) -> Decimal:
        return self.order.total_ht + self.total_vat

    @property
    def status(self) -> DeliveryStatus:
        return order_delivery_status([(v.line.quantity, v.delivered) for v in self.lines])


@dataclass
class OrderDetail(OrderFigures):
    can_deliver: bool  # the actor belongs to the ordering commune


def lines_with_deliveries(order_id: int, lines: Select | None = None) -> list[OrderLine]:
    """The lines of an order already reached through scope, with their lot line and deliveries,
    in their order; `lines` narrows them further (the supplier space's scoped lines)."""
    statement = lines if lines is not None else select(OrderLine)
    return list(
        db.session.scalars(
            statement.where(OrderLine.order_id == order_id)
            .options(
                joinedload(OrderLine.contract_price).joinedload(ContractPrice.lot_line),
                selectinload(OrderLine.deliveries),
            )
            .order_by(OrderLine.id)
        )
    )


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
    lines = lines_with_deliveries(order.id)
    views = [OrderLineView(line, line.contract_price.lot_line, in_delivery_order(line.deliveries)) for line in lines]
    can_deliver = actor.role in COMMUNE_ROLES and order.commune_id == actor.organisation_id
    return OrderDetail(order, views, vat_of(lines), can_deliver)


def in_delivery_order(deliveries: Sequence[Delivery]) -> list[Delivery]:
    return sorted(deliveries, key=lambda d: (d.delivered_on, d.id))


def vat_of(lines: Sequence[OrderLine]) -> list[VatRow]:
    return vat_breakdown((line.amount_ht, line.vat_rate) for line in lines)


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
