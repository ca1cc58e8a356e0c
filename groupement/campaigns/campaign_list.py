"""The campaigns list (/campagnes): the campaigns in preparation or open, then the finished ones in
pages, both filtered by state, groupement, year and words of the title in SQL.

The coordinator's side is paged in SQL. A commune's list keeps only the campaigns whose families
it joined (board.campaign_summaries, a rule on the membership's dates and families), so its
finished campaigns, few by nature, are paged once that rule has run (web/pagination.paginate_list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, not_, or_, select
from sqlalchemy.orm import contains_eager

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.board import CampaignSummary, campaign_summaries
from groupement.campaigns.models import Campaign
from groupement.campaigns.rules import CampaignStatus
from groupement.core.access import COMMUNE_ROLES, Actor
from groupement.core.search import contains
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.organisations.models import Groupement
from groupement.web.pagination import Choice, ListPage, capped_choices, paginate, paginate_list


@dataclass(frozen=True)
class CampaignFilters:
    search: str = ""  # words of the title
    status: CampaignStatus | None = None  # the effective state (an open campaign past its deadline is closed)
    year: int | None = None
    groupement_id: int | None = None


def _current(now: datetime):
    """In preparation or open (rules.effective_status: open until the deadline)."""
    return or_(
        Campaign.status == CampaignStatus.DRAFT,
        and_(Campaign.status == CampaignStatus.OPEN, Campaign.closes_at > now),
    )


def _effectively(status: CampaignStatus, now: datetime):
    if status is CampaignStatus.OPEN:
        return and_(Campaign.status == CampaignStatus.OPEN, Campaign.closes_at > now)
    if status is CampaignStatus.CLOSED:
        return or_(
            Campaign.status == CampaignStatus.CLOSED,
            and_(Campaign.status == CampaignStatus.OPEN, Campaign.closes_at <= now),
        )
    return Campaign.status == status


def _filtered(actor: Actor, filters: CampaignFilters, now: datetime) -> Select:
    statement = campaign_scope.campaigns(actor).options(contains_eager(Campaign.groupement))
    if filters.status is not None:
        statement = statement.where(_effectively(filters.status, now))
    if filters.year is not None:
        statement = statement.where(Campaign.year == filters.year)
    if filters.groupement_id is not None:
        statement = statement.where(Campaign.groupement_id == filters.groupement_id)
    for word in filters.search.lower().split():
        statement = statement.where(contains(func.lower(Campaign.title), word))
    return statement.order_by(Campaign.closes_at.desc(), Campaign.id.desc())


@dataclass(frozen=True)
class CampaignList:
    current: list[CampaignSummary]
    past: list[CampaignSummary]  # the page's
    past_page: object  # a Pagination or a ListPage: the finished campaigns' page, for the pager
    total: int  # every campaign that passes the filters, current and finished


def campaign_list(actor: Actor, filters: CampaignFilters, now: datetime | None = None) -> CampaignList:
    now = now or utcnow()
    statement = _filtered(actor, filters, now)
    current_campaigns = list(db.session.scalars(statement.where(_current(now))))
    current = campaign_summaries(actor, current_campaigns, now)
    finished = statement.where(not_(_current(now)))
    if actor.role in COMMUNE_ROLES:
        page: ListPage = paginate_list(campaign_summaries(actor, list(db.session.scalars(finished)), now))
        return CampaignList(current, page.items, page, len(current) + page.total)
    pagination = paginate(finished)
    past = campaign_summaries(actor, list(pagination.items), now)
    return CampaignList(current, past, pagination, len(current) + (pagination.total or 0))


@dataclass(frozen=True)
class CampaignChoices:
    groupements: list[Choice]
    years: list[int]


def campaign_choices(actor: Actor) -> CampaignChoices:
    """The groupements (coordinator's side: a commune has one or two) and years of the reachable campaigns."""
    reached = campaign_scope.campaigns(actor).with_only_columns(Campaign.id).subquery()
    of_reached = Campaign.id.in_(select(reached.c.id))
    groupements = (
        []
        if actor.role in COMMUNE_ROLES
        else capped_choices(
            select(Groupement.id, Groupement.name)
            .join(Campaign, Campaign.groupement_id == Groupement.id)
            .where(of_reached)
            .distinct()
            .order_by(Groupement.name)
        )
    )
    years = db.session.scalars(select(Campaign.year).where(of_reached).distinct().order_by(Campaign.year.desc()))
    return CampaignChoices(groupements, list(years))
