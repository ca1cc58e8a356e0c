"""The coordinator's view of a campaign: where each commune stands, what its needs are worth.

Set-based: a handful of queries whatever the number of communes (no query per row).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.models import Campaign, CampaignItem, CampaignReminder, NeedLine, Submission
from groupement.campaigns.rules import (
    NOT_STARTED_LABEL,
    CampaignStatus,
    SubmissionStatus,
    effective_status,
    estimated_amount,
    joined_families,
)
from groupement.catalog.models import CatalogItem
from groupement.core.access import COMMUNE_ROLES, Actor, Role
from groupement.core.errors import Forbidden
from groupement.core.formatting import name_key
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.organisations.families import Family
from groupement.organisations.models import Groupement, Membership, Organisation
from groupement.organisations.user_models import User

STATUS_ORDER: tuple[SubmissionStatus | None, ...] = (
    None,
    SubmissionStatus.DRAFT,
    SubmissionStatus.SUBMITTED,
    SubmissionStatus.VALIDATED,
)


def status_label(status: SubmissionStatus | None) -> str:
    return status.label if status else NOT_STARTED_LABEL


@dataclass(frozen=True)
class BoardRow:
    commune_id: int
    commune_name: str
    insee_code: str | None
    families: frozenset[Family]  # the campaign's families the commune joined
    status: SubmissionStatus | None  # None: not started
    reopened: bool
    comment: str
    updated_at: datetime | None
    updated_by: str | None
    amounts: dict[Family, Decimal]  # only the families the commune joined
    active_accounts: int = 0  # active agents and signatories: 0, nobody to remind nor to enter needs
    last_reminder_at: datetime | None = None
    last_reminder_by: str | None = None  # None with a date: the cron (system)
    last_reminder_delivered: bool = True  # False: only written to the log (development)

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def amount(self) -> Decimal:
        return sum(self.amounts.values(), Decimal("0.00"))


@dataclass(frozen=True)
class Board:
    campaign: Campaign
    status: CampaignStatus  # effective: an open campaign past its deadline is closed
    families: list[Family]
    rows: list[BoardRow]
    totals: dict[Family, Decimal]
    counts: dict[SubmissionStatus | None, int]
    validated_ht: Decimal = Decimal("0.00")  # validated needs only, catalogue price HT
    validated_with_eco: Decimal = Decimal("0.00")  # the same with the eco-participation: what the lots take
    page: int = 1
    page_size: int = 0  # 0: one page

    @property
    def total(self) -> Decimal:
        return sum(self.totals.values(), Decimal("0.00"))

    @property
    def without_account(self) -> list[BoardRow]:
        """Communes nobody can enter needs for nor be reminded: no active agent or signatory."""
        return [row for row in self.rows if row.active_accounts == 0]

    @property
    def pages(self) -> int:
        if not self.page_size:
            return 1
        return max(1, -(-len(self.rows) // self.page_size))

    @property
    def page_rows(self) -> list[BoardRow]:
        """The communes of the page shown (LIMIT/OFFSET over the name order); totals cover them all."""
        if not self.page_size:
            return self.rows
        start = (min(self.page, self.pages) - 1) * self.page_size
        return self.rows[start : start + self.page_size]

    def status_counts(self) -> list[tuple[str, int]]:
        """('non commencée', 3), ('brouillon', 5), ... in workflow order."""
        return [(status_label(status), self.counts.get(status, 0)) for status in STATUS_ORDER]

    def reopenable(self, row: BoardRow) -> bool:
        """Whether the coordinator's reopen form makes sense for this commune now: after the
        deadline (unless already reopened and not resubmitted), or during the campaign for
        needs already submitted or validated."""
        if self.status is CampaignStatus.CLOSED:
            return not (row.reopened and row.status is SubmissionStatus.DRAFT)
        if self.status is CampaignStatus.OPEN:
            return row.status in (SubmissionStatus.SUBMITTED, SubmissionStatus.VALIDATED)
        return False

    def chart_bars(self, top: int | None = None) -> list[tuple[str, Decimal]]:
        """Communes by estimated amount, largest first (ties by name, for stable output); the `top`
        first only when given, so that a campaign of a thousand communes keeps a small chart."""
        bars = sorted(((row.commune_name, row.amount) for row in self.rows), key=lambda bar: (-bar[1], bar[0]))
        return bars if top is None else bars[:top]

    @property
    def chart_rest(self) -> int:
        """The communes the chart leaves out (they are in the table and the export)."""
        return max(0, len(self.rows) - CHART_TOP)


BOARD_PAGE_SIZE = 100
CHART_TOP = 30  # the chart's bars: the largest needs; the others are listed in the table


def campaign_board(
    actor: Actor, campaign_id: int, now: datetime | None = None, page: int = 1, page_size: int = 0
) -> Board:
    if actor.role in COMMUNE_ROLES:
        raise Forbidden("Tableau de suivi réservé au coordonnateur.")
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    families = _campaign_families([campaign.id])[campaign.id]
    participants = _participants(campaign.groupement_id, families, campaign.opens_at.date())

    submissions = {
        submission.commune_id: (submission, name)
        for submission, name in db.session.execute(
            select(Submission, User.name)
            .outerjoin(User, User.id == Submission.updated_by_id)
            .where(Submission.campaign_id == campaign.id)
        )
    }
    lines: dict[tuple[int, Family], list[tuple[int, Decimal]]] = defaultdict(list)
    validated: list[tuple[int, Decimal]] = []
    validated_eco: list[tuple[int, Decimal]] = []
    for commune_id, family, quantity, unit_price, eco, status in db.session.execute(
        select(
            Submission.commune_id,
            CatalogItem.family,
            NeedLine.quantity,
            CatalogItem.unit_price_ht,
            CatalogItem.eco_participation,
            Submission.status,
        )
        .join(NeedLine, NeedLine.submission_id == Submission.id)
        .join(CatalogItem, CatalogItem.id == NeedLine.item_id)
        .join(
            CampaignItem,
            (CampaignItem.campaign_id == Submission.campaign_id) & (CampaignItem.item_id == NeedLine.item_id),
        )
        .where(Submission.campaign_id == campaign.id, NeedLine.quantity > 0)
    ):
        lines[(commune_id, family)].append((quantity, Decimal(unit_price)))
        if status is SubmissionStatus.VALIDATED:
            validated.append((quantity, Decimal(unit_price)))
            validated_eco.append((quantity, Decimal(unit_price) + Decimal(eco or 0)))
    accounts = _active_accounts([commune.id for commune, _ in participants])
    reminders = _last_reminders(campaign.id)

    rows = []
    for commune, joined in participants:
        submission, updater = submissions.get(commune.id, (None, None))
        rows.append(
            BoardRow(
                commune_id=commune.id,
                commune_name=commune.name,
                insee_code=commune.insee_code,
                families=joined,
                status=submission.status if submission else None,
                reopened=submission.reopened if submission else False,
                comment=submission.comment if submission else "",
                updated_at=submission.updated_at if submission else None,
                updated_by=updater,
                amounts={
                    family: estimated_amount(lines[(commune.id, family)]) for family in families if family in joined
                },
                active_accounts=accounts.get(commune.id, 0),
                **reminders.get(commune.id, {}),
            )
        )
    totals = {
        family: sum((row.amounts.get(family, Decimal(0)) for row in rows), Decimal("0.00")) for family in families
    }
    counts = Counter(row.status for row in rows)
    return Board(
        campaign=campaign,
        status=effective_status(campaign.status, campaign.closes_at, now or utcnow()),
        families=families,
        rows=rows,
        totals=totals,
        counts={status: counts.get(status, 0) for status in STATUS_ORDER},
        validated_ht=estimated_amount(validated),
        validated_with_eco=estimated_amount(validated_eco),
        page=max(1, page),
        page_size=page_size,
    )


def _active_accounts(commune_ids: list[int]) -> dict[int, int]:
    """Active agents and signatories per commune, in one query."""
    if not commune_ids:
        return {}
    return dict(
        db.session.execute(
            select(User.organisation_id, func.count())
            .where(User.organisation_id.in_(commune_ids), User.active.is_(True), User.role.in_(COMMUNE_ROLES))
            .group_by(User.organisation_id)
        ).all()
    )


def _last_reminders(campaign_id: int) -> dict[int, dict]:
    """The last reminder of each commune of the campaign: when, by whom, really sent or logged."""
    return {
        commune_id: {"last_reminder_at": sent_at, "last_reminder_by": name, "last_reminder_delivered": delivered}
        for commune_id, sent_at, name, delivered in db.session.execute(
            select(CampaignReminder.commune_id, CampaignReminder.sent_at, User.name, CampaignReminder.delivered)
            .outerjoin(User, User.id == CampaignReminder.sent_by_id)
            .where(CampaignReminder.campaign_id == campaign_id)
        )
    }


# --- the campaign list -------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignSummary:
    campaign: Campaign
    status: CampaignStatus  # effective
    participants: int = 0
    validated: int = 0
    own_status: SubmissionStatus | None = None  # commune side: its own submission

    @property
    def own_status_label(self) -> str:
        return status_label(self.own_status)

    @property
    def current(self) -> bool:
        """Still to be answered: draft (coordinator side) or open."""
        return self.status in (CampaignStatus.DRAFT, CampaignStatus.OPEN)


@dataclass(frozen=True)
class CampaignOverview:
    current: list[CampaignSummary] = field(default_factory=list)
    past: list[CampaignSummary] = field(default_factory=list)


def campaign_overview(actor: Actor, now: datetime | None = None) -> CampaignOverview:
    """The campaigns the actor may see, current first. The coordinator's side gets the count
    of participating and validated communes; a commune sees only the campaigns it takes part
    in, with its own status."""
    now = now or utcnow()
    campaigns = list(
        db.session.scalars(
            campaign_scope.campaigns(actor)
            .options(contains_eager(Campaign.groupement))
            .order_by(Campaign.closes_at.desc(), Campaign.id.desc())
        )
    )
    summaries = campaign_summaries(actor, campaigns, now)
    return CampaignOverview(
        current=[s for s in summaries if s.current],
        past=[s for s in summaries if not s.current],
    )


def campaign_summaries(actor: Actor, campaigns: list[Campaign], now: datetime) -> list[CampaignSummary]:
    """Each campaign's summary, in the given order, in a fixed number of queries: a commune's
    only for the campaigns whose families it joined (the others are left out)."""
    if not campaigns:
        return []
    families = _campaign_families([c.id for c in campaigns])
    summaries = []
    if actor.role in COMMUNE_ROLES:
        membership_of = {
            m.groupement_id: m
            for m in db.session.scalars(select(Membership).where(Membership.commune_id == actor.organisation_id))
        }
        own = dict(
            db.session.execute(
                select(Submission.campaign_id, Submission.status).where(
                    Submission.commune_id == actor.organisation_id,
                    Submission.campaign_id.in_([c.id for c in campaigns]),
                )
            ).all()
        )
        for campaign in campaigns:
            membership = membership_of.get(campaign.groupement_id)
            if membership is None or not joined_families(
                membership.families, membership.left_on, families[campaign.id], campaign.opens_at.date()
            ):
                continue  # member of the groupement, but not for this campaign's families
            summaries.append(
                CampaignSummary(
                    campaign,
                    effective_status(campaign.status, campaign.closes_at, now),
                    own_status=own.get(campaign.id),
                )
            )
    else:
        memberships = defaultdict(list)
        for groupement_id, joined, left_on in db.session.execute(
            select(Membership.groupement_id, Membership.families, Membership.left_on).where(
                Membership.groupement_id.in_({c.groupement_id for c in campaigns})
            )
        ):
            memberships[groupement_id].append((joined, left_on))
        validated = dict(
            db.session.execute(
                select(Submission.campaign_id, func.count())
                .where(
                    Submission.campaign_id.in_([c.id for c in campaigns]),
                    Submission.status == SubmissionStatus.VALIDATED,
                )
                .group_by(Submission.campaign_id)
            ).all()
        )
        for campaign in campaigns:
            opens_on = campaign.opens_at.date()
            summaries.append(
                CampaignSummary(
                    campaign,
                    effective_status(campaign.status, campaign.closes_at, now),
                    participants=sum(
                        1
                        for joined, left_on in memberships[campaign.groupement_id]
                        if joined_families(joined, left_on, families[campaign.id], opens_on)
                    ),
                    validated=validated.get(campaign.id, 0),
                )
            )
    return summaries


def coordinated_groupements(actor: Actor) -> list[Groupement]:
    """The groupements a coordinator may create campaigns in."""
    if actor.role is not Role.COORDINATOR:
        return []
    return list(
        db.session.scalars(
            select(Groupement).where(Groupement.coordinator_id == actor.organisation_id).order_by(Groupement.name)
        )
    )


# --- helpers -----------------------------------------------------------------------------


def _campaign_families(campaign_ids: list[int]) -> dict[int, list[Family]]:
    """The families of the items each campaign includes, in catalogue order."""
    found: dict[int, set[Family]] = {campaign_id: set() for campaign_id in campaign_ids}
    for campaign_id, family in db.session.execute(
        select(CampaignItem.campaign_id, CatalogItem.family)
        .join(CatalogItem, CatalogItem.id == CampaignItem.item_id)
        .where(CampaignItem.campaign_id.in_(campaign_ids))
        .distinct()
    ):
        found[campaign_id].add(family)
    order = list(Family)
    return {campaign_id: sorted(families, key=order.index) for campaign_id, families in found.items()}


def _participants(
    groupement_id: int, families: list[Family], opens_on: date
) -> list[tuple[Organisation, frozenset[Family]]]:
    """Members of the groupement that joined at least one of the families, by name, with the
    families of the campaign they joined."""
    result = [
        (commune, taking_part)
        for commune, joined, left_on in db.session.execute(
            select(Organisation, Membership.families, Membership.left_on)
            .join(Membership, Membership.commune_id == Organisation.id)
            .where(Membership.groupement_id == groupement_id)
        )
        if (taking_part := joined_families(joined, left_on, families, opens_on))
    ]
    # Sorted here, not in SQL: the database's collation would order "Échirolles" differently
    # on SQLite and PostgreSQL.
    return sorted(result, key=lambda pair: (name_key(pair[0].name), pair[0].id))
