"""Who takes part in a campaign, with which families, and what the entry window is: the
queries and small steps that the campaign use cases (campaigns, grid, workflow) share."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Row, exists, select
from sqlalchemy.orm import joinedload

from groupement.campaigns.models import Campaign, CampaignItem, NeedLine, Submission
from groupement.campaigns.rules import CampaignStatus, EntryWindow, joined_families
from groupement.catalog.models import CatalogItem
from groupement.core.access import Actor, Role
from groupement.core.errors import Forbidden, NotFound
from groupement.core.formatting import name_key
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.organisations.families import Family
from groupement.organisations.models import Membership, Organisation

# A catalog item as the grid shows it: a row with id, ref, designation, family, unit, unit_price_ht.
GridItem = Row


def require_role(actor: Actor, role: Role, message: str) -> None:
    if actor.role is not role:
        raise Forbidden(message)


def participant(campaign: Campaign, commune_id: int) -> Organisation:
    """The commune, if it is a member of the campaign's groupement for at least one family
    of the campaign; NotFound otherwise."""
    membership = db.session.scalar(
        select(Membership).where(
            Membership.groupement_id == campaign.groupement_id, Membership.commune_id == commune_id
        )
    )
    if membership is None or not families_of(campaign, commune_id, membership):
        raise NotFound("Cette commune ne participe pas à la campagne.")
    return membership.commune


def participant_families(campaign: Campaign, commune_id: int) -> tuple[Organisation, set[Family]]:
    """`participant` and `families_of` at once: one membership query, one of the families."""
    membership = db.session.scalar(
        select(Membership)
        .options(joinedload(Membership.commune))
        .where(Membership.groupement_id == campaign.groupement_id, Membership.commune_id == commune_id)
    )
    families = families_of(campaign, commune_id, membership) if membership is not None else set()
    if not families:
        raise NotFound("Cette commune ne participe pas à la campagne.")
    return membership.commune, families


def families_of(campaign: Campaign, commune_id: int, membership: Membership | None = None) -> set[Family]:
    membership = membership or db.session.scalar(
        select(Membership).where(
            Membership.groupement_id == campaign.groupement_id, Membership.commune_id == commune_id
        )
    )
    if membership is None:
        return set()
    opens_on = campaign.opens_at.date()
    if not joined_families(membership.families, membership.left_on, membership.families, opens_on):
        return set()  # left before the campaign, or no family: nothing to ask the database
    return set(
        joined_families(
            membership.families, membership.left_on, campaign_families(campaign, membership.families), opens_on
        )
    )


def campaign_families(campaign: Campaign, among: Iterable[Family] = tuple(Family)) -> set[Family]:
    """The families (of `among`) the campaign has items of. One EXISTS per family, in one query:
    each stops at the family's first item, where a DISTINCT over the campaign's items reads all
    of them (5 000 in a large campaign, on every page of the grid)."""
    wanted = sorted(set(among), key=list(Family).index)
    if not wanted:
        return set()
    has_items = [
        exists()
        .where(CampaignItem.campaign_id == campaign.id, CatalogItem.id == CampaignItem.item_id)
        .where(CatalogItem.family == family)
        for family in wanted
    ]
    found = db.session.execute(select(*has_items)).one()
    return {family for family, present in zip(wanted, found, strict=True) if present}


# The catalog columns a grid row shows, read as rows rather than ORM objects (the whole grid and
# its pages both select these).
GRID_ITEM_COLUMNS = (
    CatalogItem.id,
    CatalogItem.ref,
    CatalogItem.designation,
    CatalogItem.family,
    CatalogItem.unit,
    CatalogItem.unit_price_ht,
    CatalogItem.search_key,
)


def campaign_items(campaign_id: int, families: set[Family], among: Iterable[int] | None = None) -> list[GridItem]:
    """The grid's items as rows of the columns it shows: a 2 000-item grid is read on every page
    load, and ORM objects cost several times as much to build.

    In the grid's order, which the Excel file follows too: the families as the grid shows them
    (Family's order), then the refs, sorted here so that every database gives the same order
    (a database collation would sort families by their stored value and refs by its locale).

    `among`: only these items (those a save names), rather than the whole campaign."""
    statement = (
        select(*GRID_ITEM_COLUMNS)
        .join(CampaignItem, CampaignItem.item_id == CatalogItem.id)
        .where(CampaignItem.campaign_id == campaign_id, CatalogItem.family.in_(families))
    )
    if among is not None:
        statement = statement.where(CatalogItem.id.in_(set(among)))
    rows = list(db.session.execute(statement))
    order = {family: index for index, family in enumerate(Family)}
    return sorted(rows, key=lambda row: (order[row.family], row.ref))


def previous_campaign(campaign: Campaign) -> Campaign | None:
    """The groupement's latest campaign of an earlier year that was opened (the one compared with)."""
    return db.session.scalar(
        select(Campaign)
        .where(
            Campaign.groupement_id == campaign.groupement_id,
            Campaign.year < campaign.year,
            Campaign.status != CampaignStatus.DRAFT,
        )
        .order_by(Campaign.year.desc(), Campaign.id.desc())
        .limit(1)
    )


def previous_quantities(campaign: Campaign, commune_id: int) -> dict[int, int]:
    previous = previous_campaign(campaign)
    if previous is None:
        return {}
    return dict(
        db.session.execute(
            select(NeedLine.item_id, NeedLine.quantity)
            .join(Submission)
            .where(Submission.campaign_id == previous.id, Submission.commune_id == commune_id)
        ).all()
    )


def submission_for_update(campaign_id: int, commune_id: int) -> Submission | None:
    """The row locked until commit on PostgreSQL, so that two steps cannot interleave."""
    return db.session.scalar(
        select(Submission)
        .where(Submission.campaign_id == campaign_id, Submission.commune_id == commune_id)
        .with_for_update()
    )


def entry_window(campaign: Campaign, submission: Submission | None, now: datetime | None) -> EntryWindow:
    return EntryWindow(
        campaign_status=campaign.status,
        opens_at=campaign.opens_at,
        closes_at=campaign.closes_at,
        submission_status=submission.status if submission else None,
        reopened=submission.reopened if submission else False,
        now=now or utcnow(),
    )


def touch(submission: Submission, actor: Actor) -> None:
    submission.updated_at = utcnow()
    submission.updated_by_id = actor.user_id


def participating_communes(campaign: Campaign) -> list[Organisation]:
    """The members of the campaign's groupement taking part in at least one of its families
    (the same rule as `participant`), by name."""
    memberships = db.session.scalars(
        select(Membership)
        .options(joinedload(Membership.commune))
        .where(Membership.groupement_id == campaign.groupement_id)
    ).all()
    families = campaign_families(campaign)
    communes = [
        m.commune for m in memberships if joined_families(m.families, m.left_on, families, campaign.opens_at.date())
    ]
    return sorted(communes, key=lambda commune: (name_key(commune.name), commune.id))
