"""Pages of a list: one helper for every list (suppliers, contracts, invoices, lots…).

`paginate(statement)` reads `page` and `par_page` from the query string through web/query.py
(bounded: a page past the end is an empty page, never a 500) and lets Flask-SQLAlchemy run one
COUNT and one LIMIT/OFFSET query: the rows of other pages are never loaded. The `pager` macro of
_macros.html shows « 1–50 sur 1 234 » and the previous/next links, keeping the other filters.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select

from groupement.core.formatting import number
from groupement.extensions import db
from groupement.web.query import int_arg

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PAGE = 100_000  # beyond any list: the offset stays a small integer


def page_args(default_per_page: int = DEFAULT_PER_PAGE, page_arg: str = "page") -> tuple[int, int]:
    """The page number and page size asked for in the query string, within bounds."""
    page = int_arg(page_arg, 1, maximum=MAX_PAGE)
    per_page = int_arg("par_page", default_per_page, maximum=MAX_PER_PAGE)
    return page, per_page


def paginate(statement: Select, default_per_page: int = DEFAULT_PER_PAGE, page_arg: str = "page") -> Pagination:
    """One page of `statement` (already scoped and ordered), with the count of every row
    (`page_arg`: the page's argument when a page shows several lists)."""
    page, per_page = page_args(default_per_page, page_arg)
    return db.paginate(statement, page=page, per_page=per_page, error_out=False, max_per_page=MAX_PER_PAGE)


def page_range(pagination: Pagination) -> str:
    """« 1–50 sur 1 234 » (« 0 sur 0 » for an empty list)."""
    total = pagination.total or 0
    if not pagination.items:
        return f"0 sur {number(total)}"
    first = (pagination.page - 1) * pagination.per_page + 1
    last = first + len(pagination.items) - 1
    return f"{number(first)}–{number(last)} sur {number(total)}"


# A filter's select of more choices than this is no help (and weighs on the page): the list's
# search box finds them instead.
CHOICES_MAX = 200


@dataclass(frozen=True)
class Choice:
    """One option of a list's filter: a row id and what the select shows."""

    value: int
    label: str


def capped_choices(statement: Select, label=lambda row: row[1]) -> list[Choice]:
    """The (id, label…) rows of a scoped statement as a filter's choices; none past CHOICES_MAX."""
    rows = db.session.execute(statement.limit(CHOICES_MAX + 1)).all()
    return [] if len(rows) > CHOICES_MAX else [Choice(row[0], label(row)) for row in rows]


@dataclass(frozen=True)
class ListPage:
    """One page of a list already in memory (a short list filtered by a rule SQL cannot state),
    with the attributes of a Pagination that the `pager` macro and page_range read."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


def paginate_list(rows: list, default_per_page: int = DEFAULT_PER_PAGE, page_arg: str = "page") -> ListPage:
    """One page of `rows`, with the page and size read like paginate()'s (`page_arg`: the page's
    argument when a page shows several lists)."""
    page, per_page = page_args(default_per_page, page_arg)
    start = (page - 1) * per_page
    return ListPage(rows[start : start + per_page], page, per_page, len(rows))


def paginate_rows(statement: Select, default_per_page: int = DEFAULT_PER_PAGE, page_arg: str = "page") -> ListPage:
    """One page of a statement of columns (paginate() keeps the first column only): one COUNT and
    one LIMIT/OFFSET query, as paginate(); a page past the end is empty."""
    page, per_page = page_args(default_per_page, page_arg)
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    rows = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page)).all()
    return ListPage(list(rows), page, per_page, total)
