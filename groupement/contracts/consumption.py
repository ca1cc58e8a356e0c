"""What a contract's orders consume: its maximum, each commune's needs, the contracts open to orders, the order form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.models import Campaign
from groupement.campaigns.rules import joined_families
from groupement.contracts.models import Contract, ContractPrice, Order, OrderLine
from groupement.contracts.order_rules import (
    ConsumptionLevel,
    consumption_level,
    consumption_ratio,
    line_amount,
)
from groupement.core.access import COMMUNE_ROLES, Actor, Role
from groupement.core.errors import Forbidden, NotFound
from groupement.core.french import de
from groupement.core.money import from_cents, round_half_up, to_cents
from groupement.core.money_sql import money_cents
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.lots.models import Lot, LotLine, LotLineShare
from groupement.organisations import scope
from groupement.organisations.families import Family
from groupement.organisations.models import Membership, Organisation

PERCENT_STEP = Decimal("0.1")  # consumption shown in per cent, one decimal


# --- consumption --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractConsumption:
    """How much of a contract's maximum the orders of all communes use. `ratio` is a fraction
    (0.8 = 80 %); `warning` from 80 %."""

    maximum: Decimal
    ordered_ht: Decimal
    ratio: Decimal
    warning: bool

    @property
    def remaining(self) -> Decimal:
        return max(self.maximum - self.ordered_ht, Decimal("0"))

    @property
    def percent(self) -> Decimal:
        """The ratio in per cent (80.0), for the `pourcent` filter."""
        return round_half_up(self.ratio * 100, PERCENT_STEP)

    @property
    def level(self) -> ConsumptionLevel:
        return consumption_level(self.ordered_ht, self.maximum)


def contract_consumption(contract_id: int) -> ContractConsumption:
    """Unscoped (the callers have checked the contract against the actor's scope)."""
    contract = db.session.get(Contract, contract_id)
    if contract is None:
        raise NotFound("Marché introuvable.")
    return _consumption(contract.maximum_amount, ordered_total(contract_id))


def _consumption(maximum: Decimal, ordered: Decimal) -> ContractConsumption:
    return ContractConsumption(
        maximum=maximum,
        ordered_ht=ordered,
        ratio=consumption_ratio(ordered, maximum),
        warning=consumption_level(ordered, maximum) is not ConsumptionLevel.OK,
    )


def consumptions_of(contracts: list[Contract]) -> dict[int, ContractConsumption]:
    """The consumption of each of these contracts (already reached through the caller's scope), with
    one grouped query of what was ordered on them, summed in whole cents (core/money_sql.py)."""
    ordered = dict(
        db.session.execute(
            select(Order.contract_id, func.sum(money_cents(Order.total_ht)))
            .where(Order.contract_id.in_([c.id for c in contracts]))
            .group_by(Order.contract_id)
        ).all()
    )
    return {c.id: _consumption(c.maximum_amount, from_cents(ordered.get(c.id))) for c in contracts}


def ordered_total(contract_id: int) -> Decimal:
    total = db.session.scalar(select(func.sum(Order.total_ht)).where(Order.contract_id == contract_id))
    return to_cents(Decimal(str(total))) if total is not None else Decimal("0.00")


@dataclass(frozen=True)
class PriceLine:
    """A contract price seen by one commune: its validated need and what it has ordered."""

    price: ContractPrice
    line: LotLine
    needed: int
    ordered: int

    @property
    def remaining(self) -> int:
        return max(self.needed - self.ordered, 0)

    @property
    def over(self) -> int:
        return max(self.ordered - self.needed, 0)

    @property
    def unit_total(self) -> Decimal:
        return self.price.unit_price + self.price.eco_participation


@dataclass
class CommuneConsumption:
    contract: Contract
    commune: Organisation
    lines: list[PriceLine]
    ordered_ht: Decimal

    @property
    def needed_ht(self) -> Decimal:
        return sum(
            (line_amount(pl.needed, pl.price.unit_price, pl.price.eco_participation) for pl in self.lines), Decimal(0)
        )

    @property
    def over_lines(self) -> list[PriceLine]:
        return [pl for pl in self.lines if pl.over]

    @property
    def ratio(self) -> Decimal | None:
        """Ordered over needs (fraction), None without needs."""
        needed = self.needed_ht
        return consumption_ratio(self.ordered_ht, needed) if needed > 0 else None


def commune_consumption(actor: Actor, contract_id: int, commune_id: int | None = None) -> CommuneConsumption:
    """A commune's orders under the contract against its validated needs (LotLineShare). Commune
    users get their own commune; the coordinator's side names the commune."""
    contract = contract_in_scope(actor, contract_id)
    if actor.role in COMMUNE_ROLES:
        commune_id = actor.organisation_id
    if commune_id is None or commune_id not in scope.reachable_organisations(actor):
        raise NotFound("Commune introuvable.")
    commune = db.session.get(Organisation, commune_id)
    if commune is None:
        raise NotFound("Commune introuvable.")
    return commune_consumption_of(contract, commune)


def commune_consumption_of(contract: Contract, commune: Organisation) -> CommuneConsumption:
    prices = contract_prices(contract.id)
    needs = dict(
        db.session.execute(
            select(LotLineShare.lot_line_id, LotLineShare.quantity).where(
                LotLineShare.lot_line_id.in_([p.lot_line_id for p in prices]), LotLineShare.commune_id == commune.id
            )
        ).all()
    )
    ordered = dict(
        db.session.execute(
            select(OrderLine.contract_price_id, func.sum(OrderLine.quantity))
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.contract_id == contract.id, Order.commune_id == commune.id)
            .group_by(OrderLine.contract_price_id)
        ).all()
    )
    lines = [PriceLine(p, p.lot_line, needs.get(p.lot_line_id, 0), int(ordered.get(p.id, 0))) for p in prices]
    total = db.session.scalar(
        select(func.sum(Order.total_ht)).where(Order.contract_id == contract.id, Order.commune_id == commune.id)
    )
    return CommuneConsumption(
        contract, commune, lines, to_cents(Decimal(str(total))) if total is not None else Decimal("0.00")
    )


# --- contracts open to orders -------------------------------------------------------------------


@dataclass(frozen=True)
class ContractRow:
    contract: Contract
    lot: Lot
    family: Family
    consumption: ContractConsumption
    orderable: bool  # the actor's commune may order on it (commune side only)
    refusal: str | None = None  # why no order can be placed today (outside the execution period)

    @property
    def open_today(self) -> bool:
        return self.orderable and self.refusal is None


def contracts_for(actor: Actor, today: date | None = None) -> list[ContractRow]:
    """Commune side: the contracts its agents may order from (awarded lots of its groupements,
    in a family it joined). Coordinator side: every contract of its groupements."""
    statement = contracts_in_scope(actor).order_by(Contract.start_date.desc(), Contract.number)
    return contract_rows(actor, list(db.session.scalars(statement)), today or paris_today())


def orderable_contracts(actor: Actor, contracts: list[Contract], today: date) -> list[Contract]:
    """Those of `contracts` the actor's commune may order from (all of them on the coordinator's side):
    the membership of each groupement read once."""
    if actor.role not in COMMUNE_ROLES:
        return contracts
    memberships: dict[int, Membership | None] = {}
    kept = []
    for contract in contracts:
        campaign_id = contract.lot.campaign_id
        if campaign_id not in memberships:
            memberships[campaign_id] = _membership(actor.organisation_id, campaign_id)
        if _joined_by(memberships[campaign_id], contract, today):
            kept.append(contract)
    return kept


def contract_rows(actor: Actor, contracts: list[Contract], today: date) -> list[ContractRow]:
    """Each contract's row with its consumption (one query for all their orders' totals); on the
    commune's side only the contracts it may order from."""
    contracts = orderable_contracts(actor, contracts, today)
    totals = dict(
        db.session.execute(
            select(Order.contract_id, func.sum(Order.total_ht))
            .where(Order.contract_id.in_([c.id for c in contracts]))
            .group_by(Order.contract_id)
        ).all()
    )
    rows = []
    for contract in contracts:
        ordered = to_cents(Decimal(str(totals[contract.id]))) if contract.id in totals else Decimal("0.00")
        rows.append(
            ContractRow(
                contract,
                contract.lot,
                contract.lot.family,
                _consumption(contract.maximum_amount, ordered),
                actor.role in COMMUNE_ROLES,
                contract.execution_period.refusal(today),
            )
        )
    return rows


@dataclass
class OrderSheet:
    """What the new order form shows: the contract's prices with the commune's needs."""

    contract: Contract
    commune: Organisation
    lines: list[PriceLine]
    consumption: ContractConsumption
    refusal: str | None = None  # the order would be refused today: outside the execution period

    @property
    def default_address(self) -> str:
        return delivery_address_of(self.commune)


def delivery_address_of(commune: Organisation) -> str:
    town = " ".join(part for part in (commune.postcode, commune.city) if part)
    return "\n".join(part for part in (f"Mairie {de(commune.name)}", commune.address, town) if part)


def order_sheet(actor: Actor, contract_id: int, today: date | None = None) -> OrderSheet:
    today = today or paris_today()
    contract, commune = orderable(actor, contract_id, today)
    use = commune_consumption_of(contract, commune)
    return OrderSheet(
        contract, commune, use.lines, contract_consumption(contract.id), contract.execution_period.refusal(today)
    )


# --- helpers ----------------------------------------------------------------------------------------


def contracts_in_scope(actor: Actor) -> Select:
    """The contracts of the campaigns the actor reaches, with their lot and supplier loaded."""
    campaigns = campaign_scope.campaigns(actor).subquery()
    return (
        select(Contract)
        .join(Lot, Lot.id == Contract.lot_id)
        .where(Lot.campaign_id.in_(select(campaigns.c.id)))
        .options(joinedload(Contract.lot), joinedload(Contract.supplier))
    )


def contract_in_scope(actor: Actor, contract_id: int) -> Contract:
    contract = db.session.scalar(contracts_in_scope(actor).where(Contract.id == contract_id))
    if contract is None:
        raise NotFound("Marché introuvable.")
    return contract


def _membership(commune_id: int, campaign_id: int) -> Membership | None:
    return db.session.scalar(
        select(Membership)
        .join(Campaign, Campaign.groupement_id == Membership.groupement_id)
        .where(Campaign.id == campaign_id, Membership.commune_id == commune_id)
    )


def _joined_by(membership: Membership | None, contract: Contract, today: date) -> bool:
    """The membership is still in force on `today`, for the lot's family."""
    if membership is None or membership.signed_on > today:
        return False
    return bool(joined_families(membership.families, membership.left_on, {contract.lot.family}, today))


def _joined(commune_id: int, contract: Contract, today: date) -> bool:
    """The commune is a member of the contract's groupement, still on `today`, for the lot's family."""
    return _joined_by(_membership(commune_id, contract.lot.campaign_id), contract, today)


def orderable(actor: Actor, contract_id: int, today: date) -> tuple[Contract, Organisation]:
    if actor.role is not Role.AGENT:
        raise Forbidden("Seul un agent communal passe les bons de commande.")
    contract = contract_in_scope(actor, contract_id)
    if not _joined(actor.organisation_id, contract, today):
        family = contract.lot.family.label
        raise Forbidden(
            f"Votre commune n'est pas membre du groupement pour la famille « {family} » : "
            f"elle ne peut pas commander sur le marché n° {contract.number}."
        )
    commune = db.session.get(Organisation, actor.organisation_id)
    return contract, commune


def contract_prices(contract_id: int) -> list[ContractPrice]:
    return list(
        db.session.scalars(
            select(ContractPrice)
            .join(LotLine, LotLine.id == ContractPrice.lot_line_id)
            .where(ContractPrice.contract_id == contract_id)
            .options(joinedload(ContractPrice.lot_line))
            .order_by(LotLine.position, ContractPrice.id)
        )
    )
