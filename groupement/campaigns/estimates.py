"""What the board's total and the lots' total are made of, so both pages can say why they differ:
every need entered (any status) at the catalogue price without eco-participation, against the
validated needs only, without and with the eco-participation (what aggregation takes)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.models import CampaignItem, NeedLine, Submission
from groupement.campaigns.rules import SubmissionStatus
from groupement.catalog.models import CatalogItem
from groupement.core.access import Actor
from groupement.core.money import from_cents
from groupement.core.money_sql import line_cents
from groupement.extensions import db


@dataclass(frozen=True)
class NeedsEstimates:
    """What the board's total and the lots' total are made of, to say why they differ."""

    entered_ht: Decimal  # every need entered, any status, catalogue price HT without eco-participation
    validated_ht: Decimal  # validated needs only, without eco-participation
    validated_with_eco: Decimal  # validated needs, eco-participation included: what aggregation takes


def needs_estimates(actor: Actor, campaign_id: int) -> NeedsEstimates:
    """The three sums in one GROUP BY (core/money_sql: each line to the cent, as estimated_amount
    adds them), not a loop over the campaign's need lines (a million at 1 000 × 5 000)."""
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    price = CatalogItem.unit_price_ht
    with_eco = CatalogItem.unit_price_ht + func.coalesce(CatalogItem.eco_participation, 0)
    sums = db.session.execute(
        select(
            Submission.status,
            func.sum(line_cents(NeedLine.quantity, price)),
            func.sum(line_cents(NeedLine.quantity, with_eco)),
        )
        .join(Submission, Submission.id == NeedLine.submission_id)
        .join(CatalogItem, CatalogItem.id == NeedLine.item_id)
        .join(
            CampaignItem,
            (CampaignItem.campaign_id == Submission.campaign_id) & (CampaignItem.item_id == NeedLine.item_id),
        )
        .where(Submission.campaign_id == campaign.id, NeedLine.quantity > 0)
        .group_by(Submission.status)
    ).all()
    entered = sum((cents for _, cents, _ in sums), 0)
    validated = next(((cents, eco) for status, cents, eco in sums if status is SubmissionStatus.VALIDATED), (0, 0))
    return NeedsEstimates(from_cents(entered), from_cents(validated[0]), from_cents(validated[1]))
