"""PostgreSQL reads a grid page through ix_catalog_item_grid_order (migration 0035): the index is
the query's order expression word for word, or the planner silently goes back to sorting the
whole campaign at every GET (issue 14)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from groupement.extensions import db
from tests.e2e.test_needs_grid_http import grid_path
from tests.e2e.test_needs_grid_pages import long_grid  # noqa: F401  (the fixture)


def test_the_grid_page_walks_the_grid_order_index_on_postgresql(app, client_as, long_grid):  # noqa: F811
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("the index exists on PostgreSQL only")
    statements = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if "page_item" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        assert client_as("agent_a").get(grid_path(long_grid)).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert len(statements) == 1
    statement, parameters = statements[0]
    with engine.connect() as connection:
        # A test catalog is small enough to sort: forbid the sort, so that only an index whose
        # expression matches the query's can give the order (otherwise the plan still sorts).
        connection.exec_driver_sql("SET LOCAL enable_sort = off")
        plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters))
    assert "ix_catalog_item_grid_order" in plan
