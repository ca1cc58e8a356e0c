"""Scope of the campaigns, built on the core rule of organisations/scope.py."""

from __future__ import annotations

from sqlalchemy import Select, false, select

from groupement.campaigns.models import Campaign, ReceivedNeedsFile
from groupement.campaigns.rules import CampaignStatus
from groupement.core.access import COMMUNE_ROLES, SUPPLIER_ROLES, Actor
from groupement.core.errors import NotFound
from groupement.extensions import db
from groupement.organisations.models import Groupement, Membership


def campaigns(actor: Actor) -> Select:
    """Coordinator side: the campaigns of the groupements it coordinates, drafts included.
    Commune side: the non-draft campaigns of the groupements the commune belongs to."""

    statement = select(Campaign).join(Groupement, Groupement.id == Campaign.groupement_id)
    if actor.role in SUPPLIER_ROLES:  # a supplier reaches its contracts through suppliers/scope.py only
        return statement.where(false())
    if actor.role in COMMUNE_ROLES:
        member_of = select(Membership.groupement_id).where(Membership.commune_id == actor.organisation_id)
        return statement.where(Campaign.groupement_id.in_(member_of), Campaign.status != CampaignStatus.DRAFT)
    return statement.where(Groupement.coordinator_id == actor.organisation_id)


def get_campaign(actor: Actor, campaign_id: int):

    campaign = db.session.scalar(campaigns(actor).where(Campaign.id == campaign_id))
    if campaign is None:
        raise NotFound("Campagne introuvable.")
    return campaign


def received_needs_files(actor: Actor, campaign_id: int) -> Select:
    """The large needs files of the actor's commune in this campaign, sent by the actor, awaiting
    their check (campaigns/needs_import_job.py): only the agent who sent a file reads or replaces it;
    nothing for any other role (a coordinator never reads a commune's raw file)."""
    statement = select(ReceivedNeedsFile).where(ReceivedNeedsFile.campaign_id == campaign_id)
    if actor.role not in COMMUNE_ROLES or actor.user_id is None:
        return statement.where(false())
    return statement.where(
        ReceivedNeedsFile.commune_id == actor.organisation_id, ReceivedNeedsFile.created_by_id == actor.user_id
    )
