"""The aggregation of a campaign into lots: the validated needs summed by item into lot lines,
grouped by family and CPV group, each commune's share kept. Flushes; the caller's unit of work
(the request, or the CLI command) commits."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.models import NeedLine, Submission
from groupement.campaigns.rules import CampaignStatus, SubmissionStatus, effective_status
from groupement.catalog.models import CatalogItem
from groupement.core import audit
from groupement.core.access import Actor, Role
from groupement.core.errors import Forbidden, ServiceError
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.lots.allotment import default_lot
from groupement.lots.models import Lot, LotLine, LotLineShare
from groupement.lots.rules import LotStatus


@dataclass(frozen=True)
class AggregationReport:
    lots: int
    lines: int
    shares: int
    communes: int


def aggregate_campaign(actor: Actor, campaign_id: int, now: datetime | None = None) -> AggregationReport:
    """Sum the validated submissions into lots by family and CPV group (the CLI acts as the
    coordinator's system actor).

    Draft lots of an earlier aggregation are replaced; once a lot is published, never.
    """
    campaign = check_aggregable(actor, campaign_id, now)
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


def check_aggregable(actor: Actor, campaign_id: int, now: datetime | None = None, *, needs: bool = False):
    """The campaign if the actor may aggregate it now, a French ServiceError otherwise; with
    `needs`, also refused when no validated need exists (the quick answer of the button, before
    the aggregation job starts). Reads only."""
    if actor.role is not Role.COORDINATOR:
        raise Forbidden("Seul le coordonnateur agrège une campagne.")
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    status = effective_status(campaign.status, campaign.closes_at, now or utcnow())
    if status is CampaignStatus.OPEN:
        raise ServiceError("La campagne est encore ouverte : attendez la date limite ou clôturez-la avant d'agréger.")
    if status not in (CampaignStatus.CLOSED, CampaignStatus.AGGREGATED):
        raise ServiceError(f"Une campagne {status.label} ne peut pas être agrégée.")
    if db.session.scalar(
        select(func.count()).select_from(Lot).where(Lot.campaign_id == campaign.id, Lot.status != LotStatus.DRAFT)
    ):
        raise ServiceError("Des lots de cette campagne sont déjà publiés : l'agrégation ne peut plus être refaite.")
    if needs and not db.session.scalar(
        select(func.count())
        .select_from(Submission)
        .where(Submission.campaign_id == campaign.id, Submission.status == SubmissionStatus.VALIDATED)
    ):
        raise ServiceError("Aucun besoin validé dans cette campagne : rien à agréger.")
    return campaign


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
