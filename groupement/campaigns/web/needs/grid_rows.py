"""The needs grid's rows, each drawn once per distinct content.

A page of the grid is 100 rows of five fields; drawn by Jinja at every GET they were half of the
request's CPU (issue 14's profile: about 2 400 escapes a page), and a page that 20 agents read
again and again differs from one read to the next by the few lines someone saved. A row's HTML is
a pure function of the values it shows (templates/campaigns/needs/_grid_row.html takes nothing
else), so each worker keeps it, keyed by exactly those values, in a bounded table: a saved line
has a new version and quantity, hence a new key, and an item edited in the catalog a new
designation or price. Nothing read from the table can be stale, and nothing depends on it being
there: a miss draws the row.

Rows of a refused save's page (the values typed, an error, a conflict) are drawn every time.
"""

from __future__ import annotations

import threading

from flask import Flask, current_app
from markupsafe import Markup

from groupement.campaigns.grid import GridLine
from groupement.web.row_urls import url_pattern

ROW_TEMPLATE = "campaigns/needs/_grid_row.html"
# About 1,3 KB a row: 10 000 rows (two full 5 000-item grids) hold about 15 MB per worker.
ROWS_KEPT = 10_000


class _RowTable:
    """The drawn rows of one application, oldest dropped first past ROWS_KEPT."""

    def __init__(self, macro, limit: int):
        self.macro = macro
        self.limit = limit
        self.rows: dict[tuple, Markup] = {}
        self.lock = threading.Lock()  # gthread workers: one eviction at a time

    def get(self, key: tuple) -> Markup | None:
        return self.rows.get(key)

    def keep(self, key: tuple, html: Markup) -> None:
        with self.lock:
            if len(self.rows) >= self.limit:
                del self.rows[next(iter(self.rows))]
            self.rows[key] = html


def _table(app: Flask) -> _RowTable:
    table = app.extensions.get("needs_grid_rows")
    if table is None:
        macro = app.jinja_env.get_template(ROW_TEMPLATE).module.row
        table = app.extensions.setdefault("needs_grid_rows", _RowTable(macro, ROWS_KEPT))
    return table


class GridRows:
    """What the grid's template calls for each row: `rows.draw(line, editable)`."""

    def __init__(self, campaign_id: int, typed=None, errors=None, conflicts=None):
        self.typed = typed or {}
        self.errors = errors or {}
        self.conflicts = conflicts or {}
        self.history_url = url_pattern("needs.history", "item_id", campaign_id=campaign_id)  # one url_for a page
        app = current_app._get_current_object()
        # In debug mode templates reload when edited: draw every row, or an edit would not show.
        self.table = None if app.debug else _table(app)
        self.macro = self.table.macro if self.table else app.jinja_env.get_template(ROW_TEMPLATE).module.row

    def draw(self, line: GridLine, editable: bool) -> Markup:
        item = line.item
        history = self.history_url(item.id)
        if self.table is None or item.id in self.typed or item.id in self.errors or item.id in self.conflicts:
            return self.macro(
                line,
                editable,
                history,
                self.typed.get(item.id),
                self.errors.get(item.id),
                self.conflicts.get(item.id),
            )
        # Every value the row shows, and nothing else (the macro's arguments, taken apart).
        key = (
            editable,
            history,  # the campaign, and the application's root if it is served under a prefix
            item.id,
            item.ref,
            item.designation,
            item.unit,
            item.unit_price_ht,
            item.search_key,
            line.previous_quantity,
            line.quantity,
            line.comment,
            line.version,
        )
        html = self.table.get(key)
        if html is None:
            html = self.macro(line, editable, history)
            self.table.keep(key, html)
        return html
