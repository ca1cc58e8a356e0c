"""The size's database with its closed campaign already aggregated into lots, built once.

The exports' three variants and the HTTP lots page need the lots; each used to aggregate the
campaign itself (a million shares at L) before measuring anything else. They copy this file.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from benchmarks import generate
from benchmarks.generate import SEED

AGGREGATED = "aggregated.db"


def ensure_aggregated(size: str, seed: int = SEED) -> Path:
    """The size's database with its closed campaign aggregated into lots, as the coordinator would,
    built once (into the size's directory) and copied by whoever needs lots: the exports' three
    variants and the HTTP lots page used to aggregate it each time (1 000 000 shares at L), outside
    what they measure. Returns the database file."""
    data = generate.ensure(size, seed)
    target = data / AGGREGATED
    if target.exists():
        return target
    from groupement import create_app
    from groupement.core.access import system_actor
    from groupement.core.transaction import unit_of_work
    from groupement.extensions import db
    from groupement.lots.campaign_aggregation import aggregate_campaign

    meta = json.loads((data / "meta.json").read_text())
    work = Path(tempfile.mkdtemp(prefix=f"bench-{size}-aggregated-", dir=data))
    try:
        shutil.copyfile(data / "base.db", work / AGGREGATED)
        app = create_app(generate._config(work / AGGREGATED, work / "instance"))
        with app.app_context():
            with unit_of_work():
                aggregate_campaign(system_actor(1), meta["closed_campaign"])  # organisation 1: the coordinator
            db.session.remove()
            db.engine.dispose()
        os.replace(work / AGGREGATED, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target
