"""The contracts and orders lists: scoped, filtered and ordered in SQL, one page at a time.

Each list's filters are plain values read and validated by its route (web/query.py); the page
is web/pagination.py's (one COUNT, one LIMIT/OFFSET). The filters' choices (campaigns,
suppliers, communes, years) are read from the same scoped statement, so a choice never names
what the actor may not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, and_, exists, extract, func, not_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from groupement.campaigns.models import Campaign
from groupement.contracts import consumption
from groupement.contracts import scope as contract_scope
from groupement.contracts.consumption import ContractRow
from groupement.contracts.models import Contract, Delivery, Order, OrderLine
from groupement.contracts.order_queries import OrderRow, orders_in_scope
from groupement.contracts.order_rules import DeliveryStatus, order_delivery_status
from groupement.core.access import COMMUNE_ROLES, Actor
from groupement.core.search import contains
from groupement.core.search_text import search_words
from groupement.extensions import db
from groupement.lots.models import Lot
from groupement.organisations.families import Family
from groupement.organisations.models import Organisation
from groupement.tenders.models import Supplier
from groupement.web.pagination import Choice, ListPage, capped_choices, paginate, paginate_list

# --- contracts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractFilters:
    search: str = ""  # words of the number, the lot's title or the supplier's name
    campaign_id: int | None = None
    supplier_id: int | None = None
    year: int | None = None  # the year of notification


def contracts_statement(actor: Actor, filters: ContractFilters) -> Select:
    """The actor's contracts (contracts/scope.py) that pass the filters, latest notified first."""
    statement = contract_scope.contracts(actor).join(Supplier, Supplier.id == Contract.supplier_id)
    if filters.campaign_id is not None:
        statement = statement.where(Lot.campaign_id == filters.campaign_id)
    if filters.supplier_id is not None:
        statement = statement.where(Contract.supplier_id == filters.supplier_id)
    if filters.year is not None:
        statement = statement.where(extract("year", Contract.notified_on) == filters.year)
    for word in search_words(filters.search):
        statement = statement.where(
            or_(
                contains(func.lower(Contract.number), word),
                contains(Lot.search_key, word),
                contains(Supplier.search_key, word),
            )
        )
    return statement.order_by(Contract.notified_on.desc(), Contract.number)


def contracts_page(actor: Actor, filters: ContractFilters) -> Pagination:
    statement = contracts_statement(actor, filters).options(
        selectinload(Contract.supplier), selectinload(Contract.lot).selectinload(Lot.campaign)
    )
    return paginate(statement)


@dataclass(frozen=True)
class ContractChoices:
    campaigns: list[Choice]
    suppliers: list[Choice]
    years: list[int]


def contract_choices(actor: Actor) -> ContractChoices:
    """What the contracts' filters offer: the campaigns, suppliers and years of the actor's contracts."""
    reached = contract_scope.contracts(actor).with_only_columns(Contract.id).subquery()
    of_reached = Contract.id.in_(select(reached.c.id))
    campaigns = capped_choices(
        select(Campaign.id, Campaign.title)
        .join(Lot, Lot.campaign_id == Campaign.id)
        .join(Contract, Contract.lot_id == Lot.id)
        .where(of_reached)
        .distinct()
        .order_by(Campaign.title)
    )
    suppliers = capped_choices(
        select(Supplier.id, Supplier.name)
        .join(Contract, Contract.supplier_id == Supplier.id)
        .where(of_reached)
        .distinct()
        .order_by(Supplier.name)
    )
    years = db.session.scalars(
        select(extract("year", Contract.notified_on)).where(of_reached).distinct().order_by(None)
    ).all()
    return ContractChoices(campaigns, suppliers, sorted({int(y) for y in years}, reverse=True))


# --- orders ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFilters:
    search: str = ""  # words of the order or engagement number, the contract's number or the supplier
    status: DeliveryStatus | None = None
    commune_id: int | None = None
    contract_id: int | None = None
    year: int | None = None  # the order's year (its number's)


def delivery_status_condition(status: DeliveryStatus):
    """order_rules.order_delivery_status in SQL: waiting when nothing of the order is delivered,
    delivered when every line is, partial otherwise."""
    line = OrderLine.__table__.alias("status_line")
    delivery = Delivery.__table__.alias("status_delivery")
    anything = exists(
        select(delivery.c.id).join(line, line.c.id == delivery.c.order_line_id).where(line.c.order_id == Order.id)
    )
    short = exists(
        select(line.c.id).where(
            line.c.order_id == Order.id,
            line.c.quantity
            > select(func.coalesce(func.sum(delivery.c.quantity), 0))
            .where(delivery.c.order_line_id == line.c.id)
            .scalar_subquery(),
        )
    )
    if status is DeliveryStatus.WAITING:
        return not_(anything)
    if status is DeliveryStatus.DELIVERED:
        return and_(anything, not_(short))
    return and_(anything, short)


def orders_statement(actor: Actor, filters: OrderFilters) -> Select:
    """The actor's orders (order_queries.orders_in_scope) that pass the filters, latest first."""
    statement = orders_in_scope(actor).join(Supplier, Supplier.id == Contract.supplier_id)
    if filters.commune_id is not None:
        statement = statement.where(Order.commune_id == filters.commune_id)
    if filters.contract_id is not None:
        statement = statement.where(Order.contract_id == filters.contract_id)
    if filters.year is not None:
        statement = statement.where(Order.year == filters.year)
    if filters.status is not None:
        statement = statement.where(delivery_status_condition(filters.status))
    for word in search_words(filters.search):
        statement = statement.where(
            or_(
                contains(func.lower(Order.number), word),
                contains(func.lower(Order.engagement_number), word),
                contains(func.lower(Contract.number), word),
                contains(Supplier.search_key, word),
            )
        )
    return statement.order_by(Order.created_at.desc(), Order.id.desc())


@dataclass(frozen=True)
class OrderPage:
    pagination: Pagination
    rows: list[OrderRow]


def orders_page(actor: Actor, filters: OrderFilters) -> OrderPage:
    """One page of the orders with each one's delivery status (from its page's lines only)."""
    statement = orders_statement(actor, filters).options(
        joinedload(Order.commune),
        joinedload(Order.contract).joinedload(Contract.supplier),
        joinedload(Order.contract).joinedload(Contract.lot),
        selectinload(Order.lines).selectinload(OrderLine.deliveries),
    )
    pagination = paginate(statement)
    rows = [
        OrderRow(
            order,
            order_delivery_status([(ln.quantity, sum(d.quantity for d in ln.deliveries)) for ln in order.lines]),
        )
        for order in pagination.items
    ]
    return OrderPage(pagination, rows)


@dataclass(frozen=True)
class OrderChoices:
    communes: list[Choice]
    contracts: list[Choice]
    years: list[int]


def order_choices(actor: Actor) -> OrderChoices:
    """What the orders' filters offer: the communes, contracts and years of the actor's orders."""
    reached = orders_in_scope(actor).with_only_columns(Order.id).subquery()
    of_reached = Order.id.in_(select(reached.c.id))
    communes = capped_choices(
        select(Organisation.id, Organisation.name)
        .join(Order, Order.commune_id == Organisation.id)
        .where(of_reached)
        .distinct()
        .order_by(Organisation.name)
    )
    contracts = capped_choices(
        select(Contract.id, Contract.number, Supplier.name)
        .join(Order, Order.contract_id == Contract.id)
        .join(Supplier, Supplier.id == Contract.supplier_id)
        .where(of_reached)
        .distinct()
        .order_by(Contract.number),
        label=lambda row: f"{row[1]} — {row[2]}",
    )
    years = db.session.scalars(select(Order.year).where(of_reached).distinct().order_by(Order.year.desc())).all()
    return OrderChoices(communes, contracts, list(years))


# --- contracts open to orders (/commandes/marches) -------------------------------------------------


@dataclass(frozen=True)
class OpenContractFilters:
    search: str = ""  # words of the number, the lot's title or the supplier's name
    family: Family | None = None


@dataclass(frozen=True)
class OpenContracts:
    pagination: Pagination | ListPage
    rows: list[ContractRow]


def open_contracts(actor: Actor, filters: OpenContractFilters, today: date) -> OpenContracts:
    """One page of consumption.contracts_for: paged in SQL on the coordinator's side; on a commune's,
    after the membership rule (its groupements' contracts, few), with the consumption of the page's only."""
    statement = consumption.contracts_in_scope(actor).join(Supplier, Supplier.id == Contract.supplier_id)
    if filters.family is not None:
        statement = statement.where(Lot.family == filters.family)
    for word in search_words(filters.search):
        statement = statement.where(
            or_(
                contains(func.lower(Contract.number), word),
                contains(Lot.search_key, word),
                contains(Supplier.search_key, word),
            )
        )
    statement = statement.order_by(Contract.start_date.desc(), Contract.number)
    if actor.role in COMMUNE_ROLES:
        page = paginate_list(consumption.orderable_contracts(actor, list(db.session.scalars(statement)), today))
        return OpenContracts(page, consumption.contract_rows(actor, page.items, today))
    pagination = paginate(statement)
    return OpenContracts(pagination, consumption.contract_rows(actor, list(pagination.items), today))
