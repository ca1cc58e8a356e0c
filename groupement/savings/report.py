"""Savings of a campaign (économies réalisées), per lot and per commune (their Excel file: savings_xlsx.py).

The arithmetic is savings/rules.py. Here: which figures go in.

- Lines: the retained lines (not excluded) of the campaign's lots that have a contract; the
  estimated unit price is the lot line's (estimated_unit_price + eco_participation), the
  awarded one the contract's (unit_price + eco_participation). Lots without a contract (in
  preparation, published, unsuccessful) are listed apart, without figures.
- Previous prices: the "previous campaign" is the latest other campaign of the same coordinator
  (any of the groupements it coordinates) opened before this one that was aggregated into lots.
  An item's previous unit price is what that campaign's contract charged for it (unit price +
  eco-participation) when the item was awarded there, else its estimated unit price (+
  eco-participation) in that campaign's lots; each line, lot and commune says which reference
  it used. Items it did not have are left out of that comparison. (Reference prices typed by the
  coordinator are not stored yet.)
- Access: the coordinator's side (coordinator, accountant, admin) of the campaign's groupement.

Every figure is read with a fixed number of set-based queries, whatever the number of lots,
lines or communes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import exists, select

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.models import Campaign
from groupement.contracts.models import Contract, ContractPrice
from groupement.core import formatting
from groupement.core.access import COMMUNE_ROLES, Actor
from groupement.core.errors import Forbidden
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.lots.models import Lot, LotLine, LotLineShare
from groupement.lots.rules import LotStatus
from groupement.organisations.models import Groupement, Organisation
from groupement.savings.rules import (
    Comparison,
    Reference,
    SavingsLine,
    SavingsResult,
    Share,
    Totals,
    compute_savings,
)
from groupement.tenders.models import Supplier


@dataclass(frozen=True)
class LotRow:
    lot_id: int
    number: int
    title: str
    family_label: str
    contract_id: int
    contract_number: str
    supplier_name: str
    totals: Totals


@dataclass(frozen=True)
class PendingLot:
    lot_id: int
    number: int
    title: str
    status: LotStatus

    @property
    def status_label(self) -> str:
        return self.status.label


@dataclass(frozen=True)
class CommuneRow:
    commune_id: int
    name: str
    insee: str | None
    totals: Totals


@dataclass(frozen=True)
class LineRow:
    lot_number: int
    ref: str
    designation: str
    unit: str
    quantity: int
    estimated_unit: Decimal
    awarded_unit: Decimal
    previous_unit: Decimal | None
    estimate: Comparison
    previous: Comparison | None
    previous_reference: Reference | None = None  # the contract price of the previous campaign, or its estimate


@dataclass
class SavingsReport:
    campaign: Campaign
    previous_campaign: Campaign | None
    total: Totals
    lots: list[LotRow]
    pending: list[PendingLot]
    communes: list[CommuneRow]
    commune_lots: list[tuple[CommuneRow, LotRow, Totals]]
    lines: list[LineRow]
    generated_on: date = field(default_factory=paris_today)

    @property
    def empty(self) -> bool:
        return not self.lots


def savings_report(actor: Actor, campaign_id: int, today: date | None = None) -> SavingsReport:
    if actor.role in COMMUNE_ROLES:
        raise Forbidden("Les économies sont suivies par le coordonnateur.")
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    return report_of(campaign, today)


def report_of(campaign: Campaign, today: date | None = None) -> SavingsReport:
    """The report of a campaign already checked against the actor's scope."""
    lots = db.session.execute(
        select(Lot, Contract.id, Contract.number, Supplier.name)
        .outerjoin(Contract, Contract.lot_id == Lot.id)
        .outerjoin(Supplier, Supplier.id == Contract.supplier_id)
        .where(Lot.campaign_id == campaign.id)
        .order_by(Lot.number)
    ).all()
    lines = db.session.execute(
        select(
            LotLine.id,
            LotLine.lot_id,
            LotLine.item_id,
            LotLine.position,
            LotLine.ref,
            LotLine.designation,
            LotLine.unit,
            LotLine.total_quantity,
            LotLine.estimated_unit_price,
            LotLine.eco_participation,
            ContractPrice.unit_price.label("awarded_unit_price"),
            ContractPrice.eco_participation.label("awarded_eco_participation"),
        )
        .join(ContractPrice, ContractPrice.lot_line_id == LotLine.id)
        .where(LotLine.campaign_id == campaign.id, LotLine.excluded_reason.is_(None))
    ).all()
    shares = db.session.execute(
        select(
            LotLineShare.lot_line_id,
            LotLineShare.commune_id,
            LotLineShare.quantity,
            Organisation.name,
            Organisation.insee_code,
        )
        .join(LotLine, LotLine.id == LotLineShare.lot_line_id)
        .join(Organisation, Organisation.id == LotLineShare.commune_id)
        .join(ContractPrice, ContractPrice.lot_line_id == LotLine.id)
        .where(LotLine.campaign_id == campaign.id, LotLine.excluded_reason.is_(None))
    ).all()
    previous_campaign = _previous_campaign(campaign)
    previous_prices = _previous_prices(previous_campaign.id) if previous_campaign else {}

    shares_of: dict[int, list[Share]] = defaultdict(list)
    communes: dict[int, tuple[str, str | None]] = {}
    for line_id, commune_id, quantity, name, insee in shares:
        shares_of[line_id].append(Share(commune_id, quantity, insee or ""))
        communes[commune_id] = (name, insee)
    number_of = {lot.id: lot.number for lot, *_ in lots}
    lines = sorted(lines, key=lambda row: (number_of[row.lot_id], row.position))
    inputs = [
        SavingsLine(
            line_id=row.id,
            lot_id=row.lot_id,
            quantity=row.total_quantity,
            estimated_unit=row.estimated_unit_price + row.eco_participation,
            awarded_unit=row.awarded_unit_price + row.awarded_eco_participation,
            previous_unit=previous_prices[row.item_id][0] if row.item_id in previous_prices else None,
            previous_reference=previous_prices[row.item_id][1]
            if row.item_id in previous_prices
            else Reference.ESTIMATE,
            shares=tuple(sorted(shares_of[row.id], key=lambda share: share.commune_id)),
        )
        for row in lines
    ]
    result = compute_savings(inputs)
    return _report(campaign, previous_campaign, lots, lines, inputs, communes, result, today)


def _report(campaign, previous_campaign, lots, lines, inputs, communes, result: SavingsResult, today) -> SavingsReport:
    lot_rows, pending = [], []
    for lot, contract_id, contract_number, supplier_name in lots:
        if contract_id is None:
            pending.append(PendingLot(lot.id, lot.number, lot.title, lot.status))
        else:
            lot_rows.append(
                LotRow(
                    lot.id,
                    lot.number,
                    lot.title,
                    lot.family.label,
                    contract_id,
                    contract_number,
                    supplier_name,
                    result.lots.get(lot.id, Totals()),
                )
            )
    commune_rows = sorted(
        (
            CommuneRow(commune_id, name, insee, result.communes[commune_id])
            for commune_id, (name, insee) in communes.items()
            if commune_id in result.communes
        ),
        key=lambda row: (formatting.name_key(row.name), row.commune_id),
    )
    commune_lots = [
        (commune, lot, result.commune_lots[(commune.commune_id, lot.lot_id)])
        for commune in commune_rows
        for lot in lot_rows
        if (commune.commune_id, lot.lot_id) in result.commune_lots
    ]
    number_of = {lot.id: lot.number for lot, *_ in lots}
    line_rows = [
        LineRow(
            number_of[row.lot_id],
            row.ref,
            row.designation,
            row.unit,
            row.total_quantity,
            line_input.estimated_unit,
            line_input.awarded_unit,
            line_input.previous_unit,
            line_result.estimate,
            line_result.previous,
            line_result.previous_reference,
        )
        for row, line_input, line_result in zip(lines, inputs, result.lines, strict=True)
    ]
    return SavingsReport(
        campaign,
        previous_campaign,
        result.total,
        lot_rows,
        pending,
        commune_rows,
        commune_lots,
        line_rows,
        today or paris_today(),
    )


def _previous_campaign(campaign: Campaign) -> Campaign | None:
    """The latest earlier campaign of the same coordinator that was aggregated into lots."""
    coordinator_id = select(Groupement.coordinator_id).where(Groupement.id == campaign.groupement_id)
    groupements = select(Groupement.id).where(Groupement.coordinator_id == coordinator_id.scalar_subquery())
    return db.session.scalar(
        select(Campaign)
        .where(
            Campaign.groupement_id.in_(groupements),
            Campaign.id != campaign.id,
            Campaign.opens_at < campaign.opens_at,
            exists().where(LotLine.campaign_id == Campaign.id),
        )
        .order_by(Campaign.opens_at.desc(), Campaign.id.desc())
        .limit(1)
    )


def _previous_prices(campaign_id: int) -> dict[int, tuple[Decimal, Reference]]:
    """item id -> (unit price + eco-participation, what it is) in that campaign: its contract's
    price when the item was awarded, else its estimate in the campaign's lots."""
    rows = db.session.execute(
        select(
            LotLine.item_id,
            LotLine.estimated_unit_price,
            LotLine.eco_participation,
            ContractPrice.unit_price,
            ContractPrice.eco_participation,
        )
        .outerjoin(ContractPrice, ContractPrice.lot_line_id == LotLine.id)
        .where(LotLine.campaign_id == campaign_id)
        .order_by(LotLine.id, ContractPrice.id)
    ).all()
    prices: dict[int, tuple[Decimal, Reference]] = {}
    for item_id, estimate, eco, contract_price, contract_eco in rows:
        if contract_price is not None:
            if prices.get(item_id, (None, None))[1] is not Reference.CONTRACT:
                prices[item_id] = (contract_price + contract_eco, Reference.CONTRACT)
        else:
            prices.setdefault(item_id, (estimate + eco, Reference.ESTIMATE))
    return prices


# --- the coordinator's home page ---------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignSavings:
    campaign_id: int
    title: str
    lots: int  # lots with a contract
    estimate: Comparison


def savings_overview(actor: Actor) -> list[CampaignSavings]:
    """Savings of every campaign in scope that has contracts, latest first (two queries)."""
    if actor.role in COMMUNE_ROLES:
        return []
    campaign_ids = campaign_scope.campaigns(actor).with_only_columns(Campaign.id)
    rows = db.session.execute(
        select(
            LotLine.id,
            LotLine.campaign_id,
            LotLine.lot_id,
            LotLine.total_quantity,
            LotLine.estimated_unit_price,
            LotLine.eco_participation,
            ContractPrice.unit_price,
            ContractPrice.eco_participation,
        )
        .join(ContractPrice, ContractPrice.lot_line_id == LotLine.id)
        .where(LotLine.campaign_id.in_(campaign_ids), LotLine.excluded_reason.is_(None))
    ).all()
    if not rows:
        return []
    by_campaign: dict[int, list[SavingsLine]] = defaultdict(list)
    for line_id, campaign_id, lot_id, quantity, estimated, eco, awarded, awarded_eco in rows:
        by_campaign[campaign_id].append(SavingsLine(line_id, lot_id, quantity, estimated + eco, awarded + awarded_eco))
    campaigns = db.session.execute(
        select(Campaign.id, Campaign.title, Campaign.opens_at).where(Campaign.id.in_(by_campaign))
    ).all()
    summaries = []
    for campaign_id, title, _ in sorted(campaigns, key=lambda row: (row.opens_at, row.id), reverse=True):
        result = compute_savings(by_campaign[campaign_id])
        summaries.append(CampaignSavings(campaign_id, title, len(result.lots), result.total.estimate))
    return summaries
