"""What a supplier's user reads in its space: the tasks of its home, its contracts with their
prices and consumption, the orders addressed to it, an order's detail. Everything through
suppliers/scope.py; an order's lines, deliveries and figures are read as every order page reads
them (contracts/order_queries.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from groupement.contracts.consumption import (
    ContractConsumption,
    consumptions_of,
    contract_consumption,
    contract_prices,
)
from groupement.contracts.lists import delivery_status_condition
from groupement.contracts.models import Contract, ContractPrice, Order, OrderLine
from groupement.contracts.order_queries import (
    OrderFigures,
    OrderLineView,
    delivery_status_of,
    in_delivery_order,
    lines_with_deliveries,
    placed_on,
    vat_of,
)
from groupement.contracts.order_rules import DeliveryStatus
from groupement.core.access import Actor
from groupement.core.search import contains
from groupement.core.search_text import search_words
from groupement.extensions import db
from groupement.organisations.models import Organisation
from groupement.suppliers import scope
from groupement.suppliers.models import DeclaredDelivery, OrderAcknowledgment
from groupement.tenders.models import Supplier
from groupement.web.pagination import paginate


@dataclass(frozen=True)
class OrderRow:
    order: Order
    acknowledgment: OrderAcknowledgment | None
    status: DeliveryStatus

    @property
    def order_date(self) -> date:
        return placed_on(self.order)

    @property
    def to_acknowledge(self) -> bool:
        return self.acknowledgment is None

    @property
    def to_deliver(self) -> bool:
        return self.acknowledgment is not None and self.status is not DeliveryStatus.DELIVERED


def _acknowledgments(order_ids: list[int]) -> dict[int, OrderAcknowledgment]:
    if not order_ids:
        return {}
    return {
        a.order_id: a
        for a in db.session.scalars(select(OrderAcknowledgment).where(OrderAcknowledgment.order_id.in_(order_ids)))
    }


def _order_statement(actor: Actor) -> Select:
    return (
        scope.orders(actor)
        .options(
            joinedload(Order.commune),
            joinedload(Order.contract),
            selectinload(Order.lines).selectinload(OrderLine.deliveries),
        )
        .order_by(Order.created_at.desc(), Order.id.desc())
    )


def order_rows(actor: Actor) -> list[OrderRow]:
    """The orders addressed to the supplier, newest first."""
    return _rows_of(list(db.session.scalars(_order_statement(actor)).unique()))


@dataclass(frozen=True)
class ReceivedOrderFilters:
    search: str = ""  # words of the order's number or the commune's name
    status: DeliveryStatus | None = None
    acknowledged: bool | None = None


@dataclass(frozen=True)
class ReceivedOrders:
    pagination: Pagination
    rows: list[OrderRow]


def received_orders(actor: Actor, filters: ReceivedOrderFilters) -> ReceivedOrders:
    """One page of the orders addressed to the supplier that pass the filters (in SQL)."""
    statement = _order_statement(actor).join(Organisation, Organisation.id == Order.commune_id)
    if filters.status is not None:
        statement = statement.where(delivery_status_condition(filters.status))
    if filters.acknowledged is not None:
        acknowledged = exists().where(OrderAcknowledgment.order_id == Order.id)
        statement = statement.where(acknowledged if filters.acknowledged else ~acknowledged)
    for word in search_words(filters.search):
        statement = statement.where(
            or_(contains(func.lower(Order.number), word), contains(Organisation.search_key, word))
        )
    pagination = paginate(statement)
    return ReceivedOrders(pagination, _rows_of(list(pagination.items)))


def _rows_of(orders: list[Order]) -> list[OrderRow]:
    acks = _acknowledgments([o.id for o in orders])
    return [OrderRow(o, acks.get(o.id), delivery_status_of(o)) for o in orders]


# A home stays short: the rest is in the received orders, filtered.
HOME_SHOWN = 20


@dataclass
class Home:
    supplier: Supplier
    to_acknowledge: list[OrderRow]  # the latest HOME_SHOWN
    to_acknowledge_count: int
    to_deliver: list[OrderRow]  # the latest HOME_SHOWN
    to_deliver_count: int
    contracts: int


def home(actor: Actor) -> Home:
    """The supplier's tasks, counted and the latest of each read in SQL (never every order): the
    orders to acknowledge, and those acknowledged whose delivery is not complete."""
    supplier = scope.own_supplier(actor)
    acknowledged = exists().where(OrderAcknowledgment.order_id == Order.id)
    to_acknowledge = _order_statement(actor).where(~acknowledged)
    to_deliver = _order_statement(actor).where(acknowledged, ~delivery_status_condition(DeliveryStatus.DELIVERED))
    contracts = db.session.scalar(select(func.count()).select_from(scope.contracts(actor).subquery())) or 0
    return Home(
        supplier,
        _rows_of(list(db.session.scalars(to_acknowledge.limit(HOME_SHOWN)).unique())),
        _count(to_acknowledge),
        _rows_of(list(db.session.scalars(to_deliver.limit(HOME_SHOWN)).unique())),
        _count(to_deliver),
        contracts,
    )


def _count(statement: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0


@dataclass(frozen=True)
class ContractRow:
    contract: Contract
    consumption: ContractConsumption


def supplier_contracts(actor: Actor) -> Select:
    """The supplier's contracts, latest started first."""
    return (
        scope.contracts(actor).options(joinedload(Contract.lot)).order_by(Contract.start_date.desc(), Contract.number)
    )


@dataclass(frozen=True)
class ContractPage:
    pagination: Pagination
    rows: list[ContractRow]


def contract_page(actor: Actor) -> ContractPage:
    """One page of the supplier's contracts (COUNT + LIMIT/OFFSET), with their consumption."""
    pagination = paginate(supplier_contracts(actor))
    contracts = list(pagination.items)
    consumption = consumptions_of(contracts)
    return ContractPage(pagination, [ContractRow(c, consumption[c.id]) for c in contracts])


@dataclass
class ContractView:
    contract: Contract
    consumption: ContractConsumption
    prices: list[ContractPrice]


def contract_view(actor: Actor, contract_id: int) -> ContractView:
    contract = scope.get_contract(actor, contract_id)
    return ContractView(contract, contract_consumption(contract.id), contract_prices(contract.id))


@dataclass(frozen=True)
class DeliveryView:
    delivered_on: date
    quantity: int
    declared: bool  # by the supplier (else recorded by the commune)
    certified: bool


@dataclass
class OrderView(OrderFigures):
    """The order as its supplier sees it: the figures every order page shows (contracts/order_queries.py),
    its lines' deliveries as DeliveryView, and the supplier's acknowledgment."""

    acknowledgment: OrderAcknowledgment | None


def declared_delivery_ids(delivery_ids) -> set[int]:
    """Which of these deliveries (already reached through the caller's scope) the supplier declared."""
    ids = list(delivery_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(DeclaredDelivery.delivery_id).where(DeclaredDelivery.delivery_id.in_(ids))))


def order_view(actor: Actor, order_id: int) -> OrderView:
    from groupement.suppliers.invoicing import certified_delivery_ids

    order = scope.get_order(actor, order_id)
    lines = lines_with_deliveries(order.id, scope.order_lines(actor))
    delivery_ids = [d.id for ln in lines for d in ln.deliveries]
    declared = declared_delivery_ids(delivery_ids)
    certified = certified_delivery_ids(delivery_ids)
    views = [
        OrderLineView(
            ln,
            ln.contract_price.lot_line,
            [
                DeliveryView(d.delivered_on, d.quantity, d.id in declared, d.id in certified)
                for d in in_delivery_order(ln.deliveries)
            ],
        )
        for ln in lines
    ]
    acknowledgment = _acknowledgments([order.id]).get(order.id)
    return OrderView(order=order, lines=views, vat=vat_of(lines), acknowledgment=acknowledgment)
