"""What each role sees first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup
from sqlalchemy import func, select

from groupement.campaigns.board import campaign_overview
from groupement.catalog.models import CatalogItem
from groupement.core.access import COMMUNE_ROLES, Actor, Role
from groupement.core.charts import bar_chart_svg
from groupement.core.formatting import euros
from groupement.core.timeutil import paris_today
from groupement.dashboard.accountant_tasks import accountant_tasks
from groupement.dashboard.commune_tasks import commune_tasks
from groupement.dashboard.coordinator_tasks import coordinator_tasks
from groupement.dashboard.tasks import Task
from groupement.extensions import db
from groupement.invoices import scope as invoice_scope
from groupement.invoices.states import InvoiceStatus
from groupement.organisations import scope
from groupement.organisations.families import Family
from groupement.organisations.models import Groupement, Membership, Organisation
from groupement.savings.report import CampaignSavings, savings_overview

SAVINGS_CHART_CAMPAIGNS = 3


@dataclass
class HomeSummary:
    organisation: Organisation
    items_by_family: dict[Family, int]
    groupements: list[Groupement] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    member_count: int = 0
    user_count: int = 0
    campaigns: list = field(default_factory=list)  # current campaigns (CampaignSummary)
    savings: list = field(default_factory=list)  # coordinator's side: CampaignSavings, latest first
    savings_chart: str = ""  # SVG: estimated and awarded amounts of the latest campaigns
    invoices: InvoiceCounts | None = None  # coordinator's side: the invoices by state
    tasks: list[Task] = field(default_factory=list)  # the role's to-do list, most urgent first

    @property
    def deliveries_awaiting(self) -> int:
        """A commune's deliveries awaiting its service fait."""
        return sum(t.count for t in self.tasks if t.kind == "deliveries_to_certify")


@dataclass(frozen=True)
class InvoiceCounts:
    total: int
    by_status: dict[InvoiceStatus, int]  # only the states that have invoices
    to_process: int  # imported, checked or disputed: not split nor rejected yet


def invoice_counts(actor: Actor) -> InvoiceCounts:
    """The invoices of the actor's coordinator, counted by state through invoices/scope.py."""
    invoices = invoice_scope.invoices(actor).subquery()
    by_status = {
        InvoiceStatus(status): count
        for status, count in db.session.execute(
            select(invoices.c.status, func.count()).group_by(invoices.c.status)
        ).all()
    }
    waiting = (InvoiceStatus.IMPORTED, InvoiceStatus.CHECKED, InvoiceStatus.DISPUTED)
    return InvoiceCounts(
        total=sum(by_status.values()),
        by_status={s: by_status[s] for s in InvoiceStatus if by_status.get(s)},
        to_process=sum(by_status.get(s, 0) for s in waiting),
    )


def home_summary(actor: Actor, today: date | None = None) -> HomeSummary:
    today = today or paris_today()
    overview = campaign_overview(actor)
    counts = dict(
        db.session.execute(
            select(CatalogItem.family, func.count()).where(CatalogItem.active.is_(True)).group_by(CatalogItem.family)
        ).all()
    )
    summary = HomeSummary(
        organisation=db.session.get(Organisation, actor.organisation_id),
        items_by_family={family: counts.get(family, 0) for family in Family},
        campaigns=overview.current,
    )
    if actor.role in COMMUNE_ROLES:
        summary.memberships = list(
            db.session.scalars(select(Membership).where(Membership.commune_id == actor.organisation_id))
        )
        summary.tasks = commune_tasks(actor, overview.current, today)
    else:
        summary.groupements = list(
            db.session.scalars(select(Groupement).where(Groupement.coordinator_id == actor.organisation_id))
        )
        summary.member_count = len(scope.coordinated_member_ids(actor))
        summary.user_count = db.session.scalar(select(func.count()).select_from(scope.users(actor).subquery()))
        summary.savings = savings_overview(actor)
        summary.savings_chart = _savings_chart(summary.savings[:SAVINGS_CHART_CAMPAIGNS])
        summary.invoices = invoice_counts(actor)
        if actor.role is Role.COORDINATOR:
            summary.tasks = coordinator_tasks(actor, overview.current + overview.past, today)
        elif actor.role is Role.ACCOUNTANT:
            summary.tasks = accountant_tasks(actor, today)
    return summary


def _tail_words(text: str, limit: int) -> str:
    """The last whole words of text within limit characters: 'Recensement des besoins 2026' -> 'besoins 2026'."""
    words: list[str] = []
    for word in reversed(text.split()):
        if words and len(" ".join([word, *words])) > limit:
            break
        words.insert(0, word)
    return " ".join(words)


def _savings_chart(savings: list[CampaignSavings]) -> str:
    if not savings:
        return ""
    bars = []
    for campaign in savings:
        # Short labels: the chart cuts long ones, and both bars of a campaign must stay apart.
        name = _tail_words(campaign.title, 18)
        bars += [
            (f"Estimé · {name}", campaign.estimate.reference),
            (f"Attribué · {name}", campaign.estimate.awarded),
        ]
    title = "Montants HT annuels estimés et attribués"
    return Markup(bar_chart_svg(bars, title, euros, chart_id="graphique-economies"))
