"""The coordinator's consumption page of a contract: the gauge, then each commune's orders against
its validated needs and the contract's orders, both in pages.

At a thousand member communes the communes are paged in SQL (one COUNT, one LIMIT/OFFSET, by name
accent-blind through their search key) and the page's figures come from four grouped queries:
needs and orders summed in whole cents by the database (core/money_sql.py), the quantities that
count the lines ordered beyond the needs. Nothing is read per commune, nothing of other pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from groupement.contracts.consumption import ContractConsumption, contract_consumption, contract_in_scope
from groupement.contracts.models import Contract, ContractPrice, Order, OrderLine
from groupement.contracts.order_queries import OrderRow, delivery_status_of, orders_in_scope
from groupement.contracts.order_rules import consumption_ratio
from groupement.core.access import COMMUNE_ROLES, Actor
from groupement.core.errors import Forbidden
from groupement.core.money import from_cents
from groupement.core.money_sql import line_cents, money_cents
from groupement.extensions import db
from groupement.lots.models import LotLine, LotLineShare
from groupement.organisations.models import Organisation
from groupement.web.pagination import DEFAULT_PER_PAGE, ListPage


@dataclass(frozen=True)
class CommuneRow:
    commune_id: int
    name: str
    needed_ht: Decimal
    ordered_ht: Decimal
    over_lines: int

    @property
    def ratio(self) -> Decimal | None:
        return consumption_ratio(self.ordered_ht, self.needed_ht) if self.needed_ht > 0 else None


@dataclass
class ConsumptionReport:
    contract: Contract
    consumption: ContractConsumption
    communes: ListPage  # of CommuneRow, by name
    orders: int


def consumption_report(
    actor: Actor, contract_id: int, page: int = 1, per_page: int = DEFAULT_PER_PAGE
) -> ConsumptionReport:
    """The gauge, and one page of the communes concerned (with needs on the lot or orders on the
    contract), each with its orders against its needs."""
    if actor.role in COMMUNE_ROLES:
        raise Forbidden("La consommation d'un marché est suivie par le coordonnateur.")
    contract = contract_in_scope(actor, contract_id)
    share_communes = (
        select(LotLineShare.commune_id)
        .join(LotLine, LotLine.id == LotLineShare.lot_line_id)
        .where(LotLine.lot_id == contract.lot_id)
    )
    ordering_communes = select(Order.commune_id).where(Order.contract_id == contract.id)
    concerned = select(Organisation.id, Organisation.name).where(
        Organisation.id.in_(share_communes.union(ordering_communes).scalar_subquery())
    )
    total = db.session.scalar(select(func.count()).select_from(concerned.subquery())) or 0
    communes = db.session.execute(
        concerned.order_by(Organisation.search_key, Organisation.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    rows = _commune_rows(contract, communes)
    count = db.session.scalar(select(func.count(Order.id)).where(Order.contract_id == contract.id)) or 0
    return ConsumptionReport(contract, contract_consumption(contract.id), ListPage(rows, page, per_page, total), count)


def _commune_rows(contract: Contract, communes) -> list[CommuneRow]:
    ids = [commune_id for commune_id, _ in communes]
    needed = dict(
        db.session.execute(
            select(
                LotLineShare.commune_id,
                func.sum(line_cents(LotLineShare.quantity, ContractPrice.unit_price + ContractPrice.eco_participation)),
            )
            .join(ContractPrice, ContractPrice.lot_line_id == LotLineShare.lot_line_id)
            .where(ContractPrice.contract_id == contract.id, LotLineShare.commune_id.in_(ids))
            .group_by(LotLineShare.commune_id)
        ).all()
    )
    ordered = dict(
        db.session.execute(
            select(Order.commune_id, func.sum(money_cents(Order.total_ht)))
            .where(Order.contract_id == contract.id, Order.commune_id.in_(ids))
            .group_by(Order.commune_id)
        ).all()
    )
    needs = {
        (commune_id, price_id): quantity
        for commune_id, price_id, quantity in db.session.execute(
            select(LotLineShare.commune_id, ContractPrice.id, LotLineShare.quantity)
            .join(ContractPrice, ContractPrice.lot_line_id == LotLineShare.lot_line_id)
            .where(ContractPrice.contract_id == contract.id, LotLineShare.commune_id.in_(ids))
        )
    }
    over: dict[int, int] = {}
    for commune_id, price_id, quantity in db.session.execute(
        select(Order.commune_id, OrderLine.contract_price_id, func.sum(OrderLine.quantity))
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.contract_id == contract.id, Order.commune_id.in_(ids))
        .group_by(Order.commune_id, OrderLine.contract_price_id)
    ):
        if int(quantity or 0) > needs.get((commune_id, price_id), 0):
            over[commune_id] = over.get(commune_id, 0) + 1
    return [
        CommuneRow(
            commune_id,
            name,
            from_cents(needed.get(commune_id)),
            from_cents(ordered.get(commune_id)),
            over.get(commune_id, 0),
        )
        for commune_id, name in communes
    ]


def contract_orders(
    actor: Actor, contract_id: int, page: int = 1, per_page: int = DEFAULT_PER_PAGE
) -> tuple[Pagination, list[OrderRow]]:
    """One page of the contract's orders the actor reaches, latest first, with their status."""
    statement = (
        orders_in_scope(actor)
        .where(Order.contract_id == contract_id)
        .options(joinedload(Order.commune), selectinload(Order.lines).selectinload(OrderLine.deliveries))
        .order_by(Order.created_at.desc(), Order.id.desc())
    )
    pagination = db.paginate(statement, page=page, per_page=per_page, error_out=False)
    return pagination, [OrderRow(order, delivery_status_of(order)) for order in pagination.items]
