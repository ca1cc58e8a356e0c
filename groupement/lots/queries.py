"""The read side of lots: a campaign's lots with their amounts and procedure advice, one lot's
detail with the communes' shares, and the estimate of a lot line."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.models import Campaign
from groupement.campaigns.rules import estimated_line_amount
from groupement.core.access import Actor, Role
from groupement.core.errors import Forbidden, NotFound
from groupement.core.formatting import name_key
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.lots.models import Lot, LotLine, LotLineShare
from groupement.lots.procedures import LotAdvice, LotValue, advise
from groupement.lots.rules import LotAmounts, lot_amounts
from groupement.organisations.models import Organisation


def line_amount(line: LotLine) -> Decimal:
    """Estimated HT of a line: the one estimate rule, the eco-participation being part of the price."""
    return estimated_line_amount(line.total_quantity, line.estimated_unit_price + line.eco_participation)


@dataclass
class LotView:
    lot: Lot
    amounts: LotAmounts
    counted_lines: list[LotLine]
    advice: LotAdvice | None = None

    @property
    def maximum(self) -> Decimal:
        return self.lot.maximum_amount if self.lot.maximum_amount is not None else self.amounts.default_maximum

    @property
    def excluded_lines(self) -> list[LotLine]:
        return [line for line in self.lot.lines if line.excluded_reason]


@dataclass
class LotsOverview:
    campaign: Campaign
    lots: list[LotView]
    launch_date: date
    communes: dict[int, str] = field(default_factory=dict)  # with a retained share, by name

    @property
    def total_yearly(self) -> Decimal:
        return sum((view.amounts.yearly_estimate for view in self.lots), Decimal(0))

    @property
    def total_maximum(self) -> Decimal:
        return sum((view.maximum for view in self.lots), Decimal(0))


def lot_view(lot: Lot) -> LotView:
    """A lot with its amounts over the lines it counts (the excluded ones left out)."""
    counted = [line for line in lot.lines if not line.excluded_reason]
    amounts = lot_amounts([line_amount(line) for line in counted], lot.duration_months, lot.margin_percent)
    return LotView(lot, amounts, counted)


def campaign_lots(actor: Actor, campaign_id: int, today: date | None = None) -> LotsOverview:
    if actor.role is Role.AGENT or actor.role is Role.SIGNATORY:
        raise Forbidden("Les lots sont construits par le coordonnateur.")
    return overview_of(campaign_scope.get_campaign(actor, campaign_id), today)


def overview_of(campaign: Campaign, today: date | None = None) -> LotsOverview:
    """The lots of a campaign already checked against the actor's scope (or loaded by the CLI)."""
    lots = db.session.scalars(
        select(Lot).where(Lot.campaign_id == campaign.id).order_by(Lot.number).options(selectinload(Lot.lines))
    ).all()
    views = [lot_view(lot) for lot in lots]
    launch = min((lot.launch_date for lot in lots if lot.launch_date), default=today or paris_today())
    advice = advise(
        [LotValue(str(v.lot.id), v.lot.number, v.lot.title, v.lot.family.value, v.maximum) for v in views], launch
    )
    for view in views:
        view.advice = advice.get(str(view.lot.id))
    communes = db.session.execute(
        select(Organisation.id, Organisation.name)
        .join(LotLineShare, LotLineShare.commune_id == Organisation.id)
        .join(LotLine, LotLine.id == LotLineShare.lot_line_id)
        .where(LotLine.campaign_id == campaign.id, LotLine.excluded_reason.is_(None))
        .distinct()
    ).all()
    by_name = sorted(communes, key=lambda row: (name_key(row.name), row.id))
    return LotsOverview(campaign, views, launch, {row.id: row.name for row in by_name})


@dataclass(frozen=True)
class CommuneShareRow:
    commune_id: int
    name: str
    insee: str | None
    quantity: int
    amount: Decimal


@dataclass
class LotDetail:
    overview: LotsOverview
    view: LotView
    shares: dict[int, list[tuple[str, int]]]  # line id -> [(commune name, quantity)]
    communes: list[CommuneShareRow]  # by amount, largest first


def lot_detail(actor: Actor, lot_id: int) -> LotDetail:
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("Lot introuvable.")
    overview = campaign_lots(actor, lot.campaign_id)
    view = next(v for v in overview.lots if v.lot.id == lot.id)
    rows = db.session.execute(
        select(
            LotLineShare.lot_line_id,
            LotLineShare.commune_id,
            LotLineShare.quantity,
            Organisation.name,
            Organisation.insee_code,
        )
        .join(Organisation, Organisation.id == LotLineShare.commune_id)
        .join(LotLine, LotLine.id == LotLineShare.lot_line_id)
        .where(LotLine.lot_id == lot.id)
        .order_by(Organisation.name)
    ).all()
    lines = {line.id: line for line in view.counted_lines}
    shares: dict[int, list[tuple[str, int]]] = defaultdict(list)
    per_commune: dict[int, list] = {}
    for line_id, commune_id, quantity, name, insee in rows:
        shares[line_id].append((name, quantity))
        if line_id in lines:
            line = lines[line_id]
            entry = per_commune.setdefault(commune_id, [name, insee, 0, Decimal(0)])
            entry[2] += quantity
            entry[3] += estimated_line_amount(quantity, line.estimated_unit_price + line.eco_participation)
    communes = sorted(
        (CommuneShareRow(cid, name, insee, qty, amount) for cid, (name, insee, qty, amount) in per_commune.items()),
        key=lambda row: (-row.amount, row.name),
    )
    return LotDetail(overview, view, dict(shares), communes)
