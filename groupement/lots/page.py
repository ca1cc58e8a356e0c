"""The read side of the lots page, bounded whatever the campaign's size (1 000 members × 5 000
items): the lots' amounts summed in SQL (core/money_sql, the same cents as lots/queries.line_amount),
the lots, their lines and the communes' annexes each shown a page at a time.

Every lot is loaded (a campaign has tens of them, not thousands): the totals, the procedure advice
(which adds up the lots of a family) and the choices of the move and merge forms need them all.
The lines and the shares, the large tables, are only counted and paged by the database: the lots'
GROUP BY counts each lot's lines too, so that a page of lines without a search needs no COUNT of
its own and looks among the lots it covers only (CountedLinesPagination). Five queries in all: the
campaign, its lots, their sums, a page of lines and the annexes' communes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import groupby
from operator import attrgetter
from typing import NamedTuple

from flask_sqlalchemy.pagination import Pagination, SelectPagination
from sqlalchemy import Row, case, exists, func, or_, select

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.models import Campaign
from groupement.campaigns.rules import estimated_line_amount
from groupement.core.access import Actor, OrganisationKind, Role
from groupement.core.errors import Forbidden
from groupement.core.formatting import name_key
from groupement.core.money import from_cents
from groupement.core.money_sql import line_cents
from groupement.core.search import contains
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.lots.models import Lot, LotLine, LotLineShare
from groupement.lots.procedures import LotAdvice, LotValue, advise
from groupement.lots.rules import LotAmounts, LotStatus, lot_amounts
from groupement.organisations.families import Family
from groupement.organisations.models import Organisation

# The communes' names are sorted on every visit (1 000 at L) and change rarely: each worker keeps
# their keys rather than folding their accents again (2/3 of the annex list's time at L).
sort_key = lru_cache(maxsize=8192)(name_key)

LOTS_PER_PAGE = 50
LINES_PER_PAGE = 100
ANNEXES_PER_PAGE = 50
ANNEX_PROBE_LINES = 16  # annex_communes: the lines whose communes are read before any EXISTS


# What the page shows of a line: plain rows, not ORM objects (a page of them is rendered on every visit).
LINE_COLUMNS = (
    LotLine.id,
    LotLine.lot_id,
    LotLine.ref,
    LotLine.designation,
    LotLine.unit,
    LotLine.total_quantity,
    LotLine.estimated_unit_price,
    LotLine.eco_participation,
    LotLine.excluded_reason,
)


class LineRow(NamedTuple):
    """A line as the page shows it: its price (eco-participation included) and amount computed once,
    by the estimate rule (campaigns/rules.estimated_line_amount, as lots/queries.line_amount).
    A named tuple: immutable, and made at a tuple's cost (a page of them on every visit)."""

    id: int
    lot_id: int
    ref: str
    designation: str
    unit: str
    total_quantity: int
    unit_price: Decimal
    amount: Decimal
    excluded_reason: str | None


def line_rows(rows: Iterable[Row]) -> list[LineRow]:
    """Rows of LINE_COLUMNS as the page shows them (unpacked by position: a row's attributes are looked up by name)."""
    shown = []
    for line_id, lot_id, ref, designation, unit, quantity, estimated_price, eco_participation, excluded in rows:
        price = estimated_price + eco_participation
        shown.append(
            LineRow(
                line_id,
                lot_id,
                ref,
                designation,
                unit,
                quantity,
                price,
                estimated_line_amount(quantity, price),
                excluded,
            )
        )
    return shown


@dataclass(frozen=True)
class LotsFilter:
    """What the page is asked for: the lots' filters and page, the lines' filters and page, the annexes' page."""

    status: LotStatus | None = None
    family: Family | None = None
    page: int = 1
    line_lot_id: int | None = None
    search: str = ""
    lines_page: int = 1
    annexes_page: int = 1


@dataclass(frozen=True)
class LotSummary:
    lot: Lot
    counted: int  # lines retained
    excluded: int
    amounts: LotAmounts
    advice: LotAdvice | None

    @property
    def maximum(self) -> Decimal:
        return self.lot.maximum_amount if self.lot.maximum_amount is not None else self.amounts.default_maximum


@dataclass
class LotsPage:
    campaign: Campaign
    lots: list[LotSummary]  # every lot of the campaign, by number
    shown: Pagination  # the page of lots the filters select (items: LotSummary)
    lines: Pagination  # the page of lines (items: LineRow), by lot number then position
    annexes: Pagination  # the page of communes with a retained share (items: (id, name)), by name
    launch_date: date
    status_counts: dict[LotStatus, int]

    @property
    def total_yearly(self) -> Decimal:
        return sum((summary.amounts.yearly_estimate for summary in self.lots), Decimal(0))

    @property
    def total_maximum(self) -> Decimal:
        return sum((summary.maximum for summary in self.lots), Decimal(0))

    @property
    def drafts(self) -> list[LotSummary]:
        return [summary for summary in self.lots if summary.lot.status is LotStatus.DRAFT]

    @property
    def line_groups(self) -> list[tuple[Lot, list[LineRow]]]:
        """The page's lines under their lot (a tbody each), in the page's order."""
        return [(self._by_id[lot_id], list(rows)) for lot_id, rows in groupby(self.lines.items, attrgetter("lot_id"))]

    def __post_init__(self) -> None:
        self._by_id = {summary.lot.id: summary.lot for summary in self.lots}


class ListPagination(Pagination):
    """A page of a list already in memory (the lots, the communes): the same interface as the
    database's pages, so the `pager` macro shows both."""

    def _query_items(self) -> list:
        items = self._query_args["items"]
        return items[self._query_offset : self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["items"])


class RowsPagination(SelectPagination):
    """A page of a SELECT of columns: its rows whole (SelectPagination keeps the first column only)."""

    def _query_items(self) -> list:
        statement = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(statement).all())


def page_of(items: Sequence, page: int, per_page: int) -> ListPagination:
    return ListPagination(page=page, per_page=per_page, error_out=False, items=items)


def lots_page(actor: Actor, campaign_id: int, wanted: LotsFilter, today: date | None = None) -> LotsPage:
    if actor.role is Role.AGENT or actor.role is Role.SIGNATORY:
        raise Forbidden("Les lots sont construits par le coordonnateur.")
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    summaries, launch = lot_summaries(campaign, today)
    selected = [
        summary
        for summary in summaries
        if (wanted.status is None or summary.lot.status is wanted.status)
        and (wanted.family is None or summary.lot.family is wanted.family)
    ]
    counts = {status: 0 for status in LotStatus}
    for summary in summaries:
        counts[summary.lot.status] += 1
    return LotsPage(
        campaign,
        summaries,
        page_of(selected, wanted.page, LOTS_PER_PAGE),
        lines_of(campaign, wanted.line_lot_id, wanted.search, wanted.lines_page, summaries),
        page_of(annex_communes(campaign), wanted.annexes_page, ANNEXES_PER_PAGE),
        launch,
        counts,
    )


def lot_summaries(campaign: Campaign, today: date | None = None) -> tuple[list[LotSummary], date]:
    """Every lot with its amounts, from one GROUP BY over its lines, and the procedure advice."""
    lots = db.session.scalars(select(Lot).where(Lot.campaign_id == campaign.id).order_by(Lot.number)).all()
    retained = LotLine.excluded_reason.is_(None)
    cents = line_cents(LotLine.total_quantity, LotLine.estimated_unit_price + LotLine.eco_participation)
    # By the lots' ids rather than the campaign's: the lot_id index hands the lines over already grouped
    # (the campaign's index leaves SQLite a temporary B-tree to group 5 000 lines: twice the time at L).
    sums = (
        {
            lot_id: (lines - excluded, excluded, total or 0)
            for lot_id, lines, excluded, total in db.session.execute(
                # count(*) and count(excluded_reason) (its non-null values) rather than a CASE each, and
                # a SUM without ELSE (NULL for excluded lines, skipped): a third less work per line at L.
                select(
                    LotLine.lot_id,
                    func.count(),
                    func.count(LotLine.excluded_reason),
                    func.sum(case((retained, cents))),
                )
                .where(LotLine.lot_id.in_([lot.id for lot in lots]))
                .group_by(LotLine.lot_id)
            )
        }
        if lots
        else {}
    )
    amounts = {}
    for lot in lots:
        counted, excluded, total = sums.get(lot.id, (0, 0, 0))
        amounts[lot.id] = (counted, excluded, lot_amounts([from_cents(total)], lot.duration_months, lot.margin_percent))
    launch = min((lot.launch_date for lot in lots if lot.launch_date), default=today or paris_today())
    maximum = {
        lot.id: lot.maximum_amount if lot.maximum_amount is not None else amounts[lot.id][2].default_maximum
        for lot in lots
    }
    advice = advise(
        [LotValue(str(lot.id), lot.number, lot.title, lot.family.value, maximum[lot.id]) for lot in lots], launch
    )
    summaries = [LotSummary(lot, *amounts[lot.id], advice.get(str(lot.id))) for lot in lots]
    return summaries, launch


def lines_of(campaign: Campaign, lot_id: int | None, search: str, page: int, summaries: list[LotSummary]) -> Pagination:
    """One page of the campaign's lines (of one lot, matching a reference or designation), by lot then position."""
    statement = (
        select(*LINE_COLUMNS)
        .join(Lot, Lot.id == LotLine.lot_id)
        .where(LotLine.campaign_id == campaign.id)
        .order_by(Lot.number, LotLine.position, LotLine.id)
    )
    if lot_id is not None:
        statement = statement.where(LotLine.lot_id == lot_id)
    if not search:
        counts = [
            (summary.lot.id, summary.counted + summary.excluded)
            for summary in summaries
            if lot_id is None or summary.lot.id == lot_id
        ]
        return CountedLinesPagination(
            page=page, per_page=LINES_PER_PAGE, error_out=False, select=statement, session=db.session, counts=counts
        )
    word = search.lower()
    statement = statement.where(
        or_(contains(func.lower(LotLine.ref), word), contains(func.lower(LotLine.designation), word))
    )
    return SearchedLinesPagination(
        page=page, per_page=LINES_PER_PAGE, error_out=False, select=statement, session=db.session
    )


class SearchedLinesPagination(RowsPagination):
    """A page of the lines a search finds, counted by the database."""

    def _query_items(self) -> list:
        return line_rows(super()._query_items())


class CountedLinesPagination(Pagination):
    """A page of the lines of some lots already counted (lot_summaries: the lines of each lot, by
    number): the total needs no COUNT, and the page's rows are sought among the lots it covers only,
    the sort then bearing on their lines rather than on the campaign's 5 000."""

    def _query_items(self) -> list:
        start, first_start, lot_ids = 0, 0, []
        end_of_page = self._query_offset + self.per_page
        for lot_id, count in self._query_args["counts"]:
            if start + count > self._query_offset and start < end_of_page:
                first_start = first_start if lot_ids else start
                lot_ids.append(lot_id)
            start += count
        if not lot_ids:
            return []
        statement = (
            self._query_args["select"]
            .where(LotLine.lot_id.in_(lot_ids))
            .limit(self.per_page)
            .offset(self._query_offset - first_start)
        )
        # On the connection: the rows as the driver gives them, without the ORM's result machinery.
        return line_rows(self._query_args["session"].connection().execute(statement))

    def _query_count(self) -> int:
        return sum(count for _, count in self._query_args["counts"])


def annex_communes(campaign: Campaign) -> tuple[tuple[int, str], ...]:
    """The communes with a share in a retained line, by name as French sorts it (accents aside)."""
    retained_lines = select(LotLine.id).where(LotLine.campaign_id == campaign.id, LotLine.excluded_reason.is_(None))
    has_share = exists(
        select(LotLineShare.id)
        .join(LotLine, LotLine.id == LotLineShare.lot_line_id)
        .where(
            LotLineShare.commune_id == Organisation.id,
            LotLine.campaign_id == campaign.id,
            LotLine.excluded_reason.is_(None),
        )
    )
    # The EXISTS of each commune walks the campaign's lines until one has its share (≈ 4 ms at L, 1 000
    # communes). Most communes already have a share in one of a few lines: the communes of the first
    # ANNEX_PROBE_LINES retained lines (whichever the index hands over) are read at once, and the
    # EXISTS only runs for the others. The same communes either way, in half the time at L.
    probed = select(LotLineShare.commune_id).where(
        LotLineShare.lot_line_id.in_(retained_lines.limit(ANNEX_PROBE_LINES).scalar_subquery())
    )
    # On the connection: plain rows, without the ORM's result machinery (1 000 rows at L), made
    # plain tuples for by_name's memo: its key is hashed and compared in C, not Row by Row (2 ms at L).
    rows = db.session.connection().execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.kind == OrganisationKind.COMMUNE, or_(Organisation.id.in_(probed), has_share))
        .order_by(Organisation.id)
    )
    return by_name(tuple(map(tuple, rows)))


@lru_cache(maxsize=16)
def by_name(communes: tuple[tuple[int, str], ...]) -> tuple[tuple[int, str], ...]:
    """(id, name) pairs by name as French sorts it. A pure function's memo: the same communes, read
    in the same order (by id), come back visit after visit; a renamed or added one is another key."""
    ordered = sorted((sort_key(name), commune_id, name) for commune_id, name in communes)
    return tuple((commune_id, name) for _, commune_id, name in ordered)
