"""One page of a commune's needs grid, for catalogs of thousands of items: at most
GRID_PAGE_SIZE items of the campaign, filtered by family and by words (accents and case
ignored, through the catalog's search key), in the grid's order (Family's order, then the
refs in code-point order, as campaign_items sorts them and the Excel file lists them), with
the totals of the whole submission, per family and in all, whatever the page.

The page is chosen in SQL (COUNT, then LIMIT/OFFSET on the ordered items); only the page's
need lines and history are read. The totals are the estimate rule (campaigns/rules.py, each
line to the cent) over the submission's non-zero lines, read by one query: SQLite has no
decimal arithmetic, so the rounding to the cent stays in Python, on those lines only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.grid import NeedsGrid, grid_line
from groupement.campaigns.models import CampaignItem, NeedLine, Submission
from groupement.campaigns.participation import (
    GRID_ITEM_COLUMNS,
    entry_window,
    families_of,
    participant,
    previous_quantities,
)
from groupement.campaigns.rules import estimated_amount
from groupement.catalog.models import CatalogItem
from groupement.catalog.rules import search_key
from groupement.core.access import COMMUNE_ROLES, Actor
from groupement.core.errors import NotFound
from groupement.core.search import contains
from groupement.extensions import db
from groupement.organisations.families import Family

GRID_PAGE_SIZE = 200  # about 1 KB of HTML a line: a page stays near 250 KB with its frame
ZERO = Decimal(0)


@dataclass(frozen=True)
class GridPage:
    """Where the page stands among the items the filters keep."""

    number: int
    size: int
    count: int  # items kept by the filters, all pages

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.size))

    @property
    def first(self) -> int:
        return (self.number - 1) * self.size + 1 if self.count else 0

    @property
    def last(self) -> int:
        return min(self.number * self.size, self.count)

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


@dataclass
class PagedGrid:
    """The grid of one page, its place, and the submission's totals (all pages)."""

    grid: NeedsGrid
    page: GridPage
    family_totals: dict[Family, Decimal]
    shown_families: list[Family]

    @property
    def total(self) -> Decimal:
        return sum(self.family_totals.values(), ZERO)

    def rest_of(self, family: Family) -> Decimal:
        """The family's total outside this page (the page's lines are summed live by the grid's script)."""
        on_page = estimated_amount(
            (line.quantity, line.item.unit_price_ht) for line in self.grid.lines if line.item.family is family
        )
        return self.family_totals.get(family, ZERO) - on_page


def _grid_order(dialect: str):
    order = case({family: index for index, family in enumerate(Family)}, value=CatalogItem.family)
    # Code-point order on both databases, as Python's sort of the refs (campaign_items).
    ref = CatalogItem.ref.collate("C" if dialect == "postgresql" else "BINARY")
    return order, ref


def needs_grid_page(
    actor: Actor,
    campaign_id: int,
    *,
    family: Family | None = None,
    search: str = "",
    page: int = 1,
    size: int = GRID_PAGE_SIZE,
    now: datetime | None = None,
) -> PagedGrid:
    """The commune user's grid, one page of it; NotFound outside the actor's scope."""
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    if actor.role not in COMMUNE_ROLES:
        raise NotFound()
    commune = participant(campaign, actor.organisation_id)
    families = sorted(families_of(campaign, commune.id), key=list(Family).index)
    shown = [family] if family in families else families
    submission = db.session.scalar(
        select(Submission).where(Submission.campaign_id == campaign.id, Submission.commune_id == commune.id)
    )

    kept = [CampaignItem.campaign_id == campaign.id, CatalogItem.family.in_(shown)]
    kept += [contains(CatalogItem.search_key, word) for word in search_key(search or "").split()]
    joined = select(CatalogItem).join(CampaignItem, CampaignItem.item_id == CatalogItem.id).where(*kept)
    count = db.session.scalar(select(func.count()).select_from(joined.subquery()))
    place = GridPage(1, size, count)
    place = GridPage(min(max(page, 1), place.pages), size, count)
    items = list(
        db.session.execute(
            select(*GRID_ITEM_COLUMNS)
            .join(CampaignItem, CampaignItem.item_id == CatalogItem.id)
            .where(*kept)
            .order_by(*_grid_order(db.session.get_bind().dialect.name))
            .limit(size)
            .offset((place.number - 1) * size)
        )
    )
    lines: dict[int, NeedLine] = {}
    if submission is not None and items:
        lines = {
            line.item_id: line
            for line in db.session.scalars(
                select(NeedLine)
                .where(NeedLine.submission_id == submission.id, NeedLine.item_id.in_([item.id for item in items]))
                .options(joinedload(NeedLine.updated_by))
            )
        }
    previous = previous_quantities(campaign, commune.id)
    grid_lines = [grid_line(item, lines.get(item.id), previous.get(item.id)) for item in items]
    grid = NeedsGrid(campaign, commune, submission, entry_window(campaign, submission, now), families, grid_lines)
    return PagedGrid(grid, place, _family_totals(submission, families), shown)


def _family_totals(submission: Submission | None, families: list[Family]) -> dict[Family, Decimal]:
    totals = dict.fromkeys(families, ZERO)
    if submission is None:
        return totals
    rows = db.session.execute(
        select(CatalogItem.family, NeedLine.quantity, CatalogItem.unit_price_ht)
        .join(CatalogItem, CatalogItem.id == NeedLine.item_id)
        .where(NeedLine.submission_id == submission.id, NeedLine.quantity > 0, CatalogItem.family.in_(families))
    )
    by_family: dict[Family, list[tuple[int, Decimal]]] = {}
    for family, quantity, price in rows:
        by_family.setdefault(family, []).append((quantity, price))
    for family, lines in by_family.items():
        totals[family] = estimated_amount(lines)
    return totals
