"""Both databases read a grid page through ix_catalog_item_grid_order (migrations 0035 and 0036):
the index is the query's order expression word for word, or the planner silently goes back to
sorting the whole campaign at every GET (issue 14)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, insert, literal, select

from groupement.campaigns.models import Campaign, CampaignItem
from groupement.catalog.models import CatalogItem
from groupement.extensions import db
from tests.e2e.test_needs_grid_http import grid_path
from tests.e2e.test_needs_grid_pages import with_extra_items


@pytest.fixture
def long_grid(app, world):
    # A groupement's database as SQLite's planner weighs it from its statistics: campaigns that
    # each hold most of a long catalog (here 3 000 items in every campaign). A few hundred items,
    # or one long campaign among short ones, it rightly sorts.
    with_extra_items(app, world, 3000)
    with app.app_context():
        for campaign_id in db.session.scalars(select(Campaign.id).where(Campaign.id != world.ids["campaign"])):
            db.session.execute(
                insert(CampaignItem).from_select(
                    ["campaign_id", "item_id"],
                    select(literal(campaign_id), CatalogItem.id).where(CatalogItem.ref.like("LONG-%")),
                )
            )
        db.session.commit()
    return world


@pytest.mark.real_commits
def test_the_grid_page_walks_the_grid_order_index(app, client_as, long_grid):
    with app.app_context():
        engine = db.engine
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
        if engine.dialect.name == "sqlite":
            # SQLite's planner needs its statistics to prefer the index (the nightly work's
            # ANALYZE, core/planner_statistics.py), gathered here on this very connection, which
            # reads them at once (another connection of the pool reads them when it next opens:
            # config.py, pool_recycle), and rolled back with it: no other test's plan changes.
            connection.exec_driver_sql("ANALYZE")
            explained = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            plan = "\n".join(row[-1] for row in explained)
            assert "USING INDEX ix_catalog_item_grid_order" in plan
            assert "TEMP B-TREE FOR ORDER BY" not in plan.split("ix_catalog_item_grid_order")[0]
            return
        # A test catalog is small enough to sort: forbid the sort, so that only an index whose
        # expression matches the query's can give the order (otherwise the plan still sorts).
        connection.exec_driver_sql("SET LOCAL enable_sort = off")
        plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters))
    assert "ix_catalog_item_grid_order" in plan
