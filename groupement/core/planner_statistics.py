"""The query planner's statistics, refreshed every night by the job engine.

A planner without statistics guesses the size of each table, and its guesses can be far off for a
groupement's database: SQLite assumes about ten rows per value of an indexed column, so for the
needs grid it sorts the campaign's 5 000 items at every page instead of walking the grid's order
index (ix_catalog_item_grid_order) and stopping after 100 (issue 14). PostgreSQL's autovacuum
gathers its statistics; SQLite has no such daemon, and its documentation asks applications to
run ANALYZE (or PRAGMA optimize) now and then. This is that work, scheduled beside the purge.
"""

from __future__ import annotations

from groupement.core.jobs import PeriodicWork, register_periodic
from groupement.extensions import db

STATISTICS_ACTION = "database.statistics"


def refresh_planner_statistics() -> None:
    """ANALYZE the whole database, inside the caller's unit of work. Whole: SQLite's sampled
    statistics (PRAGMA analysis_limit) put a campaign at 1 000 items instead of 5 000, and the
    planner went back to sorting them; the whole pass reads each index once, at night."""
    db.session.connection().exec_driver_sql("ANALYZE")
    # A SQLite connection reads the statistics when it opens, and not when another connection
    # gathers new ones (checked: not even when the schema changes); the pools reopen their
    # connections hourly (config.py, pool_recycle) and so read these within the hour.


register_periodic(PeriodicWork(STATISTICS_ACTION, {"hour": "3", "minute": "50"}, refresh_planner_statistics))
