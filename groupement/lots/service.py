"""Aggregation of a campaign into lots, the officer's edits, publication, and the read side."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import selectinload

from groupement.campaigns.models import Campaign, NeedLine, Submission
from groupement.campaigns.rules import CampaignStatus, SubmissionStatus, effective_status, estimated_line_amount
from groupement.catalog.models import CatalogItem
from groupement.core import audit
from groupement.core.access import Actor, Role
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.formatting import name_key
from groupement.core.money import to_cents
from groupement.core.timeutil import paris_today, utcnow
from groupement.extensions import db
from groupement.lots.allotment import default_lot
from groupement.lots.models import Lot, LotLine, LotLineShare
from groupement.lots.procedures import LotAdvice, LotValue, advise
from groupement.lots.rules import MAX_DURATION_MONTHS, LotAmounts, LotStatus, lot_amounts
from groupement.organisations import scope
from groupement.organisations.models import Organisation


@dataclass(frozen=True)
class AggregationReport:
    lots: int
    lines: int
    shares: int
    communes: int


def line_amount(line: LotLine) -> Decimal:
    """Estimated HT of a line: the one estimate rule, the eco-participation being part of the price."""
    return estimated_line_amount(line.total_quantity, line.estimated_unit_price + line.eco_participation)


# --- aggregation -------------------------------------------------------------------------


def aggregate_campaign(actor: Actor | None, campaign_id: int, now: datetime | None = None) -> AggregationReport:
    """Sum the validated submissions into lots by family and CPV group (actor None: the CLI).

    Draft lots of an earlier aggregation are replaced; once a lot is published, never.
    """
    if actor is not None and actor.role is not Role.COORDINATOR:
        raise Forbidden("Seul le coordonnateur agrège une campagne.")
    campaign = scope.get_campaign(actor, campaign_id) if actor else db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("Campagne introuvable.")
    status = effective_status(campaign.status, campaign.closes_at, now or utcnow())
    if status is CampaignStatus.OPEN:
        raise ServiceError("La campagne est encore ouverte : attendez la date limite ou clôturez-la avant d'agréger.")
    if status not in (CampaignStatus.CLOSED, CampaignStatus.AGGREGATED):
        raise ServiceError(f"Une campagne {status.label} ne peut pas être agrégée.")
    if db.session.scalar(
        select(func.count()).select_from(Lot).where(Lot.campaign_id == campaign.id, Lot.status != LotStatus.DRAFT)
    ):
        raise ServiceError("Des lots de cette campagne sont déjà publiés : l'agrégation ne peut plus être refaite.")
    _delete_draft_lots(campaign.id)

    # Set-based: the totals by one GROUP BY, the shares by one INSERT ... SELECT. At a thousand
    # communes the needs are a million rows, never brought into Python (lots.aggregation.aggregate
    # is the reference the tests hold these statements to).
    validated_needs = (
        select(Submission.commune_id, NeedLine.item_id, NeedLine.quantity)
        .join(NeedLine, NeedLine.submission_id == Submission.id)
        .where(
            Submission.campaign_id == campaign.id,
            Submission.status == SubmissionStatus.VALIDATED,
            NeedLine.quantity > 0,
        )
        .subquery()
    )
    totals = dict(
        db.session.execute(
            select(validated_needs.c.item_id, func.sum(validated_needs.c.quantity)).group_by(validated_needs.c.item_id)
        ).all()
    )
    if not totals:
        raise ServiceError("Aucun besoin validé dans cette campagne : rien à agréger.")
    items = {item.id: item for item in db.session.scalars(select(CatalogItem).where(CatalogItem.id.in_(totals)))}
    grouped: dict[tuple[int, str], list[CatalogItem]] = defaultdict(list)
    for item in items.values():
        grouped[default_lot(item.family, item.cpv_code, item.ref)].append(item)

    for number, ((_, title), lot_items) in enumerate(sorted(grouped.items()), start=1):
        lot = Lot(campaign_id=campaign.id, number=number, title=title, family=lot_items[0].family)
        db.session.add(lot)
        db.session.flush()
        line_rows = [
            _line_row(campaign.id, lot.id, position, item, totals[item.id])
            for position, item in enumerate(sorted(lot_items, key=lambda item: item.ref), start=1)
        ]
        db.session.execute(insert(LotLine), line_rows)
        audit.record(
            actor.user_id if actor else None,
            "lot.create",
            "lot",
            lot.id,
            after={"number": number, "title": title, "lines": len(line_rows)},
        )
    shares = db.session.execute(
        insert(LotLineShare).from_select(
            ["lot_line_id", "commune_id", "quantity"],
            select(LotLine.id, validated_needs.c.commune_id, validated_needs.c.quantity).join(
                LotLine, (LotLine.campaign_id == campaign.id) & (LotLine.item_id == validated_needs.c.item_id)
            ),
        ),
        # SQLAlchemy keeps an INSERT's rowcount only when asked (psycopg reports -1 otherwise).
        execution_options={"preserve_rowcount": True},
    ).rowcount
    communes = db.session.scalar(
        select(func.count())
        .select_from(Submission)
        .where(
            Submission.campaign_id == campaign.id,
            Submission.status == SubmissionStatus.VALIDATED,
            select(NeedLine.id).where(NeedLine.submission_id == Submission.id, NeedLine.quantity > 0).exists(),
        )
    )
    before = campaign.status
    campaign.status = CampaignStatus.AGGREGATED
    report = AggregationReport(lots=len(grouped), lines=len(totals), shares=shares, communes=communes)
    audit.record(
        actor.user_id if actor else None,
        "campaign.aggregate",
        "campaign",
        campaign.id,
        before={"status": before},
        after={"status": CampaignStatus.AGGREGATED, **report.__dict__},
    )
    db.session.flush()
    return report


def _line_row(campaign_id: int, lot_id: int, position: int, item: CatalogItem, quantity: int) -> dict:
    return {
        "lot_id": lot_id,
        "campaign_id": campaign_id,
        "item_id": item.id,
        "line_key": f"C{campaign_id}-I{item.id}",
        "position": position,
        "ref": item.ref,
        "designation": item.designation,
        "unit": item.unit,
        "cpv_code": item.cpv_code,
        "account": item.account,
        "vat_rate": item.vat_rate,
        "estimated_unit_price": item.unit_price_ht,
        "eco_participation": item.eco_participation,
        "total_quantity": quantity,
        "excluded_reason": None,
    }


def _delete_draft_lots(campaign_id: int) -> None:
    line_ids = select(LotLine.id).where(LotLine.campaign_id == campaign_id)
    db.session.execute(delete(LotLineShare).where(LotLineShare.lot_line_id.in_(line_ids)))
    db.session.execute(delete(LotLine).where(LotLine.campaign_id == campaign_id))
    db.session.execute(delete(Lot).where(Lot.campaign_id == campaign_id))


# --- the officer's edits -----------------------------------------------------------------


def move_lines(
    actor: Actor, campaign_id: int, line_ids: Sequence[int], target_lot_id: int | None = None, new_title: str = ""
) -> Lot:
    """Move lines to another draft lot of the campaign, or to a new lot titled new_title (split)."""
    _require_coordinator(actor)
    campaign = scope.get_campaign(actor, campaign_id)
    lines = db.session.scalars(
        select(LotLine)
        .where(LotLine.campaign_id == campaign.id, LotLine.id.in_(line_ids))
        .options(selectinload(LotLine.lot))
    ).all()
    if not lines or len(lines) != len(set(line_ids)):
        raise ServiceError("Sélectionnez au moins une ligne de cette campagne.")
    for line in lines:
        _ensure_draft(line.lot)
    families = {line.lot.family for line in lines}
    if target_lot_id is not None:
        target = _lot_of_campaign(campaign.id, target_lot_id)
        _ensure_draft(target)
    else:
        if not new_title.strip():
            raise ServiceError("Donnez un intitulé au nouveau lot.")
        if len(families) > 1:
            raise ServiceError("Un lot ne mélange pas les familles : sélectionnez des lignes d'une seule famille.")
        target = Lot(
            campaign_id=campaign.id, number=_next_number(campaign.id), title=new_title.strip(), family=families.pop()
        )
        db.session.add(target)
        db.session.flush()
        audit.record(
            actor.user_id, "lot.create", "lot", target.id, after={"number": target.number, "title": target.title}
        )
    if any(line.lot.family is not target.family for line in lines):
        raise ServiceError(f"Le lot n° {target.number} ne porte que sur la famille « {target.family.label} ».")
    position = _last_position(target.id)
    for line in sorted(lines, key=lambda x: (x.lot.number, x.position)):
        if line.lot_id == target.id:
            continue
        position += 1
        audit.record(
            actor.user_id,
            "lot_line.move",
            "lot_line",
            line.id,
            before={"lot": line.lot.number},
            after={"lot": target.number},
        )
        line.lot, line.position = target, position  # through the relationship: both collections follow
    db.session.flush()
    _drop_empty_lots_and_renumber(campaign.id, actor)
    return target


def merge_lots(actor: Actor, campaign_id: int, source_lot_id: int, target_lot_id: int) -> Lot:
    _require_coordinator(actor)
    campaign = scope.get_campaign(actor, campaign_id)
    source, target = _lot_of_campaign(campaign.id, source_lot_id), _lot_of_campaign(campaign.id, target_lot_id)
    if source.id == target.id:
        raise ServiceError("Choisissez deux lots différents.")
    line_ids = [line.id for line in source.lines]
    return move_lines(actor, campaign_id, line_ids, target_lot_id=target.id)


def rename_lot(actor: Actor, lot_id: int, title: str) -> Lot:
    lot = _editable_lot(actor, lot_id)
    if not title.strip():
        raise ServiceError("L'intitulé du lot est obligatoire.")
    audit.record(
        actor.user_id, "lot.rename", "lot", lot.id, before={"title": lot.title}, after={"title": title.strip()}
    )
    lot.title = title.strip()
    db.session.flush()
    return lot


def exclude_line(actor: Actor, line_id: int, reason: str | None) -> LotLine:
    """Exclude a line from its lot with a reason, or bring it back with reason None."""
    _require_coordinator(actor)
    line = db.session.get(LotLine, line_id)
    if line is None:
        raise NotFound("Ligne introuvable.")
    scope.get_campaign(actor, line.campaign_id)
    _ensure_draft(line.lot)
    if reason is not None and not reason.strip():
        raise ServiceError("Le motif d'exclusion est obligatoire.")
    audit.record(
        actor.user_id,
        "lot_line.exclude" if reason else "lot_line.include",
        "lot_line",
        line.id,
        before={"excluded_reason": line.excluded_reason},
        after={"excluded_reason": reason.strip() if reason else None},
    )
    line.excluded_reason = reason.strip() if reason else None
    db.session.flush()
    return line


def set_lot_parameters(
    actor: Actor,
    lot_id: int,
    duration_months: int,
    margin_percent: Decimal,
    maximum_amount: Decimal | None,
    launch_date: date | None,
) -> Lot:
    lot = _editable_lot(actor, lot_id)
    if not 1 <= duration_months <= MAX_DURATION_MONTHS:
        raise ServiceError(f"La durée d'un accord-cadre est de 1 à {MAX_DURATION_MONTHS} mois (art. R2162-4).")
    if margin_percent < 0 or margin_percent > 100:
        raise ServiceError("La marge doit être comprise entre 0 et 100 %.")
    if maximum_amount is not None and maximum_amount <= 0:
        raise ServiceError("Le montant maximum doit être positif.")
    before = {
        "duration_months": lot.duration_months,
        "margin_percent": lot.margin_percent,
        "maximum_amount": lot.maximum_amount,
        "launch_date": lot.launch_date,
    }
    lot.duration_months, lot.margin_percent = duration_months, margin_percent
    lot.maximum_amount = to_cents(maximum_amount) if maximum_amount is not None else None
    lot.launch_date = launch_date
    audit.record(
        actor.user_id,
        "lot.parameters",
        "lot",
        lot.id,
        before=before,
        after={
            "duration_months": duration_months,
            "margin_percent": margin_percent,
            "maximum_amount": lot.maximum_amount,
            "launch_date": launch_date,
        },
    )
    db.session.flush()
    return lot


def publish_lot(actor: Actor, lot_id: int, today: date | None = None) -> Lot:
    """Freeze the lot: its lines, quantities, shares and maximum no longer change."""
    lot = _editable_lot(actor, lot_id)
    view = _view(lot)
    if not view.counted_lines:
        raise ServiceError(f"Le lot n° {lot.number} n'a aucune ligne retenue : rien à publier.")
    lot.maximum_amount = view.maximum
    lot.launch_date = lot.launch_date or today or paris_today()
    lot.status = LotStatus.PUBLISHED
    lot.published_at, lot.published_by_id = utcnow(), actor.user_id
    audit.record(
        actor.user_id,
        "lot.publish",
        "lot",
        lot.id,
        before={"status": LotStatus.DRAFT},
        after={
            "status": LotStatus.PUBLISHED,
            "maximum_amount": lot.maximum_amount,
            "lines": len(view.counted_lines),
            "yearly_estimate": view.amounts.yearly_estimate,
            "launch_date": lot.launch_date,
        },
    )
    db.session.flush()
    return lot


# --- read side -----------------------------------------------------------------------------


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


def _view(lot: Lot) -> LotView:
    counted = [line for line in lot.lines if not line.excluded_reason]
    amounts = lot_amounts([line_amount(line) for line in counted], lot.duration_months, lot.margin_percent)
    return LotView(lot, amounts, counted)


def campaign_lots(actor: Actor, campaign_id: int, today: date | None = None) -> LotsOverview:
    if actor.role is Role.AGENT or actor.role is Role.SIGNATORY:
        raise Forbidden("Les lots sont construits par le coordonnateur.")
    return overview_of(scope.get_campaign(actor, campaign_id), today)


def overview_of(campaign: Campaign, today: date | None = None) -> LotsOverview:
    """The lots of a campaign already checked against the actor's scope (or loaded by the CLI)."""
    lots = db.session.scalars(
        select(Lot).where(Lot.campaign_id == campaign.id).order_by(Lot.number).options(selectinload(Lot.lines))
    ).all()
    views = [_view(lot) for lot in lots]
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


# --- helpers ---------------------------------------------------------------------------------


def _require_coordinator(actor: Actor) -> None:
    if actor.role is not Role.COORDINATOR:
        raise Forbidden("Seul le coordonnateur modifie les lots.")


def _ensure_draft(lot: Lot) -> None:
    if lot.status is not LotStatus.DRAFT:
        raise ServiceError(f"Le lot n° {lot.number} est {lot.status.label} : il ne peut plus être modifié.")


def _lot_of_campaign(campaign_id: int, lot_id: int) -> Lot:
    lot = db.session.get(Lot, lot_id)
    if lot is None or lot.campaign_id != campaign_id:
        raise NotFound("Lot introuvable.")
    return lot


def _editable_lot(actor: Actor, lot_id: int) -> Lot:
    _require_coordinator(actor)
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("Lot introuvable.")
    scope.get_campaign(actor, lot.campaign_id)
    _ensure_draft(lot)
    return lot


def _next_number(campaign_id: int) -> int:
    return (db.session.scalar(select(func.max(Lot.number)).where(Lot.campaign_id == campaign_id)) or 0) + 1


def _last_position(lot_id: int) -> int:
    return db.session.scalar(select(func.max(LotLine.position)).where(LotLine.lot_id == lot_id)) or 0


def _drop_empty_lots_and_renumber(campaign_id: int, actor: Actor) -> None:
    """Lots stay numbered 1..n in order: an emptied draft lot disappears."""
    lots = db.session.scalars(select(Lot).where(Lot.campaign_id == campaign_id).order_by(Lot.number)).all()
    counts = dict(
        db.session.execute(
            select(LotLine.lot_id, func.count()).where(LotLine.campaign_id == campaign_id).group_by(LotLine.lot_id)
        ).all()
    )
    kept = []
    for lot in lots:
        if counts.get(lot.id, 0) == 0 and lot.status is LotStatus.DRAFT:
            audit.record(actor.user_id, "lot.delete", "lot", lot.id, before={"number": lot.number, "title": lot.title})
            db.session.delete(lot)
        else:
            kept.append(lot)
    db.session.flush()
    # Two passes so that the unique (campaign, number) never collides mid-way.
    for lot in kept:
        lot.number = -lot.number
    db.session.flush()
    for number, lot in enumerate(kept, start=1):
        if -lot.number != number:
            audit.record(
                actor.user_id, "lot.renumber", "lot", lot.id, before={"number": -lot.number}, after={"number": number}
            )
        lot.number = number
    db.session.flush()
