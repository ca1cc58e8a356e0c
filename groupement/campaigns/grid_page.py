"""One page of a commune's needs grid, for catalogs of thousands of items: at most
GRID_PAGE_SIZE items of the campaign, filtered by family and by words (accents and case
ignored, through the catalog's search key), in the grid's order (Family's order, then the
refs in code-point order, as campaign_items sorts them and the Excel file lists them), with
the totals of the whole submission, per family and in all, whatever the page.

Every GET of the grid pays this, so it is a fixed number of queries whatever the catalog's
size (7 with the login's): the campaign, the membership with its commune and the families
(participation.py), the submission with its last editor, the page (the kept items' ids sorted
and cut by LIMIT/OFFSET in the grid's order, their COUNT as a subquery, then, on the page's
items only, the need lines, their editors' names and last campaign's quantities, all as plain
rows) and the totals. The totals are summed
by the database to the cent (core/money_sql.line_cents: the estimate rule of campaigns/rules.py,
each line rounded half up, exact on SQLite as on PostgreSQL), never read line by line."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, case, func, literal_column, select
from sqlalchemy.orm import aliased, joinedload

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.grid import GridLine, NeedsGrid
from groupement.campaigns.models import Campaign, CampaignItem, NeedLine, Submission
from groupement.campaigns.participation import GRID_ITEM_COLUMNS, entry_window, participant_families
from groupement.campaigns.rules import CampaignStatus, estimated_amount
from groupement.catalog.models import CatalogItem
from groupement.catalog.rules import search_key
from groupement.core.access import COMMUNE_ROLES, Actor
from groupement.core.errors import NotFound
from groupement.core.money import from_cents
from groupement.core.money_sql import line_cents
from groupement.core.search import LIKE_ESCAPE, like_escaped
from groupement.extensions import db
from groupement.organisations.families import Family
from groupement.organisations.user_models import User

# 100 lines a page, for the person entering them: a family's block fits in a few screens, the
# keyboard flow (Enter, ↑ ↓, needs-grid.js) goes on across pages with « Enregistrer et page
# suivante », a save never posts more than 100 lines to check, and the page (about 1,2 KB of
# HTML a line) stays near 130 KB, well under the 300 KB budget, fast on a town hall's line.
GRID_PAGE_SIZE = 100
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


def _grid_order(family_column, ref_column, dialect: str):
    # ix_catalog_item_grid_order (catalog/models.py; migrations 0035 for PostgreSQL, 0036 for
    # SQLite) is this very expression: the page walks it and stops after its 100 items instead of
    # sorting the campaign's. Its values are written in the SQL, not bound: SQLite matches an
    # expression index only to constants, and PostgreSQL's generic plan of a statement prepared
    # after a few runs (psycopg prepares from the fifth) would not know bound values either.
    order = case(
        {literal_column(f"'{family.value}'"): literal_column(str(index)) for index, family in enumerate(Family)},
        value=family_column,
    )
    # Code-point order on both databases, as Python's sort of the refs (campaign_items).
    return order, ref_column.collate("C" if dialect == "postgresql" else "BINARY")


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
    commune, joined = participant_families(campaign, actor.organisation_id)
    families = sorted(joined, key=list(Family).index)
    shown = [family] if family in families else families
    submission = db.session.scalar(
        select(Submission)
        .options(joinedload(Submission.updated_by))
        .where(Submission.campaign_id == campaign.id, Submission.commune_id == commune.id)
    )
    words = search_key(search or "").split()
    place, rows = _page_rows(campaign, commune.id, submission, shown, words, page, size)
    grid_lines = [
        GridLine(
            item=row,
            quantity=row.quantity or 0,
            comment=row.comment or "",
            version=row.version or 0,
            previous_quantity=row.previous_quantity,
            updated_by=row.updated_by,
            updated_at=row.updated_at,
        )
        for row in rows
    ]
    grid = NeedsGrid(campaign, commune, submission, entry_window(campaign, submission, now), families, grid_lines)
    return PagedGrid(grid, place, family_totals(submission, families), shown)


# Built once: an aliased entity costs more to build than its query does to run.
_LINE = aliased(NeedLine, name="line")
_PREVIOUS_LINE = aliased(NeedLine, name="previous_line")
_EDITOR = aliased(User, name="editor")
_PAGE_ITEM = aliased(CatalogItem, name="page_item")


def _page_rows(campaign, commune_id: int, submission: Submission | None, shown, words, page: int, size: int):
    """The page's items, each with its line (if any), its editor's name and last campaign's
    quantity, and the number of items the filters keep: one query (_page_statement). A page past
    the end (the filters changed) is asked again as the last page, the only case of a second query."""
    every_family = _every_family(shown)
    page_statement, counting = _page_statements(db.session.get_bind().dialect.name, len(words), every_family)
    values = {
        "campaign_id": campaign.id,
        **({} if every_family else {"families": list(shown)}),
        **{f"word_{n}": f"%{like_escaped(word)}%" for n, word in enumerate(words)},
        "size": size,
        "submission_id": submission.id if submission else None,  # = NULL: no line joins
        "groupement_id": campaign.groupement_id,
        "year": campaign.year,
        "commune_id": commune_id,
    }
    connection = db.session.connection()  # plain rows in the session's transaction: no entity loaded
    number = max(page, 1)
    while True:
        rows = connection.execute(page_statement, {**values, "skip": (number - 1) * size}).all()
        if rows or number == 1:
            return GridPage(number, size, rows[0].kept_count if rows else 0), rows
        last = GridPage(1, size, connection.execute(counting, values).scalar() or 0).pages
        if last >= number:  # the items came back meanwhile: nothing to move to
            return GridPage(number, size, 0), rows
        number = last


def _every_family(families) -> bool:
    """Whether `families` are all there are: a family filter then keeps every item (the column is
    NOT NULL and CHECKed against Family), and the queries leave it out. Most communes join every
    family; for them the page's COUNT reads the campaign's items alone, without the join to the
    catalog that filtering by family needs (on PostgreSQL at 5 000 items, 1,7 ms -> 0,3 ms of the
    server's time on every GET), and the totals skip the family test of each line."""
    return frozenset(families) == _FAMILIES


_FAMILIES = frozenset(Family)


@functools.cache
def _page_statements(dialect: str, words: int, every_family: bool = False):
    """The page's query and its count, built once per database, number of search words and
    whether every family is shown (the statement costs more to build than to run), bound per
    request. Its inner part sorts only the kept items' ids and cuts the page (sorting whole rows,
    or COUNT(*) OVER (), costs SQLite several times as much); the outer joins then touch only the
    page's items."""
    kept = [CampaignItem.campaign_id == bindparam("campaign_id")]
    if not every_family:
        kept.append(CatalogItem.family.in_(bindparam("families", expanding=True)))
    # The words as core/search.contains matches them (accent-blind through the search key).
    kept += [CatalogItem.search_key.like(bindparam(f"word_{n}"), escape=LIKE_ESCAPE) for n in range(words)]
    kept_items = select(CatalogItem.id).join(CampaignItem, CampaignItem.item_id == CatalogItem.id).where(*kept)
    if every_family and not words:  # every item of the campaign (campaign_item.item_id: a NOT NULL foreign key)
        counting = select(func.count()).select_from(CampaignItem).where(*kept)
    else:
        counting = select(func.count()).select_from(kept_items.subquery())
    picked = (
        kept_items.order_by(*_grid_order(CatalogItem.family, CatalogItem.ref, dialect))
        .limit(bindparam("size"))
        .offset(bindparam("skip"))
        .subquery("page")
    )
    line, previous, editor, item = _LINE, _PREVIOUS_LINE, _EDITOR, _PAGE_ITEM
    page = (
        select(
            *(getattr(item, column.key) for column in GRID_ITEM_COLUMNS),
            counting.scalar_subquery().label("kept_count"),
            line.quantity,
            line.comment,
            line.version,
            line.updated_at,
            editor.name.label("updated_by"),
            previous.quantity.label("previous_quantity"),
        )
        .select_from(picked)
        .join(item, item.id == picked.c.id)
        .outerjoin(line, (line.item_id == item.id) & (line.submission_id == bindparam("submission_id")))
        .outerjoin(editor, editor.id == line.updated_by_id)
        .outerjoin(previous, (previous.item_id == item.id) & (previous.submission_id == _previous_submission()))
        .order_by(*_grid_order(item.family, item.ref, dialect))
    )
    return page, counting


def _previous_submission():
    """The commune's submission to the campaign compared with (participation.previous_campaign), as SQL."""
    previous_campaign = (
        select(Campaign.id)
        .where(
            Campaign.groupement_id == bindparam("groupement_id"),
            Campaign.year < bindparam("year"),
            Campaign.status != CampaignStatus.DRAFT,
        )
        .order_by(Campaign.year.desc(), Campaign.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(Submission.id)
        .where(Submission.campaign_id == previous_campaign, Submission.commune_id == bindparam("commune_id"))
        .scalar_subquery()
    )


# Built once, bound per request: only the submission and the families change (none to bind
# when every family is shown: see _every_family).
_EVERY_FAMILY_TOTALS = (
    select(CatalogItem.family, func.sum(line_cents(NeedLine.quantity, CatalogItem.unit_price_ht)))
    .join(CatalogItem, CatalogItem.id == NeedLine.item_id)
    .where(NeedLine.submission_id == bindparam("submission_id"), NeedLine.quantity > 0)
    .group_by(CatalogItem.family)
)
_FAMILY_TOTALS = _EVERY_FAMILY_TOTALS.where(CatalogItem.family.in_(bindparam("families", expanding=True)))


def family_totals(submission: Submission | None, families: list[Family]) -> dict[Family, Decimal]:
    """The submission's estimate per family, all pages: each line to the cent, summed in SQL."""
    totals = dict.fromkeys(families, ZERO)
    if submission is None or not families:
        return totals
    if _every_family(families):
        rows = db.session.connection().execute(_EVERY_FAMILY_TOTALS, {"submission_id": submission.id})
    else:
        rows = db.session.connection().execute(_FAMILY_TOTALS, {"submission_id": submission.id, "families": families})
    for family, cents in rows:
        totals[family] = from_cents(cents)
    return totals
