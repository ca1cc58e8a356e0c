"""What the board's total and the lots' total are made of, so both pages can say why they differ:
every need entered (any status) at the catalogue price without eco-participation, against the
validated needs only, without and with the eco-participation (what aggregation takes)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.models import CampaignItem, NeedLine, Submission
from groupement.campaigns.rules import SubmissionStatus, estimated_amount
from groupement.catalog.models import CatalogItem
from groupement.core.access import Actor
from groupement.extensions import db


@dataclass(frozen=True)
class NeedsEstimates:
    """What the board's total and the lots' total are made of, to say why they differ."""

    entered_ht: Decimal  # every need entered, any status, catalogue price HT without eco-participation
    validated_ht: Decimal  # validated needs only, without eco-participation
    validated_with_eco: Decimal  # validated needs, eco-participation included: what aggregation takes


def needs_estimates(actor: Actor, campaign_id: int) -> NeedsEstimates:
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    entered, validated, validated_eco = [], [], []
    for quantity, unit_price, eco, status in db.session.execute(
        select(NeedLine.quantity, CatalogItem.unit_price_ht, CatalogItem.eco_participation, Submission.status)
        .join(Submission, Submission.id == NeedLine.submission_id)
        .join(CatalogItem, CatalogItem.id == NeedLine.item_id)
        .join(
            CampaignItem,
            (CampaignItem.campaign_id == Submission.campaign_id) & (CampaignItem.item_id == NeedLine.item_id),
        )
        .where(Submission.campaign_id == campaign.id, NeedLine.quantity > 0)
    ):
        entered.append((quantity, Decimal(unit_price)))
        if status is SubmissionStatus.VALIDATED:
            validated.append((quantity, Decimal(unit_price)))
            validated_eco.append((quantity, Decimal(unit_price) + Decimal(eco or 0)))
    return NeedsEstimates(estimated_amount(entered), estimated_amount(validated), estimated_amount(validated_eco))
