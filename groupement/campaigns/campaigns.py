"""The coordinator's commands on a campaign: create, open or close, close the expired ones (cron),
reopen one commune's entry. Each flushes and audits what it changed; the request or CLI command
around it commits (core/transaction.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.models import Campaign, CampaignItem, Submission
from groupement.campaigns.participation import entry_window, participant, require_role, submission_for_update, touch
from groupement.campaigns.rules import CampaignStatus, check_campaign_transition, check_reopen, effective_status
from groupement.catalog.models import CatalogItem
from groupement.core import audit
from groupement.core.access import Actor, Role
from groupement.core.errors import NotFound, ServiceError
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.organisations.families import Family
from groupement.organisations.models import Groupement


def create_campaign(
    actor: Actor,
    groupement_id: int,
    title: str,
    year: int,
    families: Sequence[Family],
    opens_at: datetime,
    closes_at: datetime,
    instructions: str = "",
) -> Campaign:
    """A draft campaign over every active catalog item of the chosen families (UTC times)."""
    require_role(actor, Role.COORDINATOR, "Seul le coordonnateur crée une campagne.")
    groupement = db.session.get(Groupement, groupement_id)
    if groupement is None or groupement.coordinator_id != actor.organisation_id:
        raise NotFound("Groupement introuvable.")
    if opens_at >= closes_at:
        raise ServiceError("La date de clôture doit suivre la date d'ouverture.")
    chosen = set(families) & set(groupement.families)
    if not chosen:
        raise ServiceError("Choisissez au moins une famille couverte par le groupement.")
    items = db.session.scalars(
        select(CatalogItem).where(CatalogItem.active.is_(True), CatalogItem.family.in_(chosen))
    ).all()
    if not items:
        raise ServiceError("Le catalogue ne contient aucun article actif pour ces familles.")
    campaign = Campaign(
        groupement_id=groupement.id,
        title=title.strip(),
        year=year,
        instructions=instructions.strip(),
        opens_at=opens_at,
        closes_at=closes_at,
        status=CampaignStatus.DRAFT,
        created_by_id=actor.user_id,
        items=[CampaignItem(item_id=item.id) for item in items],
    )
    db.session.add(campaign)
    db.session.flush()
    audit.record(
        actor.user_id,
        "campaign.create",
        "campaign",
        campaign.id,
        after={
            "title": campaign.title,
            "year": year,
            "families": chosen,
            "items": len(items),
            "opens_at": opens_at,
            "closes_at": closes_at,
        },
    )
    return campaign


def change_campaign_status(actor: Actor, campaign_id: int, action: str) -> Campaign:
    """'open' or 'close'."""
    require_role(actor, Role.COORDINATOR, "Seul le coordonnateur ouvre ou clôture une campagne.")
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    before = campaign.status
    campaign.status = check_campaign_transition(action, before)  # TransitionRefused is a ServiceError
    audit.record(
        actor.user_id,
        f"campaign.{action}",
        "campaign",
        campaign.id,
        before={"status": before},
        after={"status": campaign.status},
    )
    return campaign


def close_expired_campaigns(now: datetime | None = None) -> list[Campaign]:
    """For cron: record the closure of open campaigns whose deadline has passed."""
    now = now or utcnow()
    expired = db.session.scalars(
        select(Campaign).where(Campaign.status == CampaignStatus.OPEN, Campaign.closes_at <= now)
    ).all()
    for campaign in expired:
        campaign.status = CampaignStatus.CLOSED
        audit.record(
            None,
            "campaign.close",
            "campaign",
            campaign.id,
            before={"status": CampaignStatus.OPEN},
            after={"status": CampaignStatus.CLOSED, "reason": "date limite atteinte"},
        )
    return list(expired)


def reopen_submission(
    actor: Actor, campaign_id: int, commune_id: int, reason: str, now: datetime | None = None
) -> Submission:
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    commune = participant(campaign, commune_id)
    submission = submission_for_update(campaign.id, commune.id)
    if submission is None:
        submission = Submission(campaign_id=campaign.id, commune_id=commune.id)
        db.session.add(submission)
    window = entry_window(campaign, submission, now)
    submission.status = check_reopen(window, actor.role, reason)
    before = window.submission_status
    submission.reopened = True
    submission.comment = reason.strip()
    touch(submission, actor)
    db.session.flush()
    audit.record(
        actor.user_id,
        "submission.reopen",
        "submission",
        submission.id,
        before={"status": before},
        after={"status": submission.status, "reason": reason.strip()},
    )
    db.session.flush()
    return submission


def campaign_status(campaign: Campaign, now: datetime | None = None) -> CampaignStatus:
    return effective_status(campaign.status, campaign.closes_at, now or utcnow())
