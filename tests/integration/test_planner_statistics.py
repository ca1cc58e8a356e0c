"""The planner's statistics, gathered every night by the workers (core/planner_statistics.py):
without them SQLite sorts a 5 000-item campaign at every page of the grid."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from groupement.core.planner_statistics import STATISTICS_ACTION
from groupement.extensions import db

pytestmark = pytest.mark.real_commits  # what the night's unit of work commits, read from outside


def test_the_workers_gather_the_planners_statistics_every_night(app, database, make):
    huey = app.extensions["jobs"].huey
    periodic = {task.__name__: task for task in huey._registry._periodic_tasks}
    assert STATISTICS_ACTION in periodic
    capi = make.coordinator()
    make.campaign(make.groupement(capi), [make.item(), make.item()])
    db.session.commit()
    try:
        huey.execute(periodic[STATISTICS_ACTION]())
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as connection:
                tables = set(connection.execute(text("SELECT tbl FROM sqlite_stat1")).scalars())
            assert {"catalog_item", "campaign_item"} <= tables
        else:
            with db.engine.connect() as connection:
                analysed = connection.execute(
                    text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'catalog_item'")
                ).scalar()
            assert analysed is not None
    finally:
        if db.engine.dialect.name == "sqlite":  # other tests' plans, and their unordered rows' order
            db.session.execute(text("DELETE FROM sqlite_stat1"))
            db.session.commit()
