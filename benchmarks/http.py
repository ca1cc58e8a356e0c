"""Scenario 5, HTTP: one commune's needs grid (5 000 items) read and saved by 20 concurrent
clients through gunicorn, on SQLite and on PostgreSQL, against a baseline that serves the same
page's bytes pre-rendered from the same gunicorn (the serving limit of this machine).

`python -m benchmarks.http` prints its progress on stderr and, as its last stdout line, the JSON
list of result entries that `python -m benchmarks` adds to latest.json.

- Server: gunicorn, 2 **sync** workers on 127.0.0.1 and a free port. The grid is CPU-bound
  (rendering thousands of rows) and the GIL lets one thread of a process render at a time, so threads
  (gthread) would add no throughput on this 2-core machine; sync is gunicorn's default and gives
  one request per core. The baseline runs the same command with a tiny WSGI app.
- Data: generate.HTTP_SIZE (5 000 items, 22 communes, last year's quantities for « Quantité N-1 »),
  plus, for the commune under test, a draft of this year's needs (~20 % of the lines filled) and
  one agent account per client, so that a conflict names another person, as it would.
- Driver: asyncio + aiohttp, one session per client, loopback only. Each client logs in once
  (not measured), then loops: GET the grid; after every GETS_PER_SAVE-th GET, POST the whole
  form back, as a browser does, with SAVED_LINES quantities changed (versions from that GET).
  A 302 after a save is a success; a 409 is a conflict answered as designed, counted apart;
  anything else (4xx, 5xx, a connection error) is an error. The first WARMUP seconds are not
  measured; throughput and percentiles count the requests completed inside the measured window.
- PostgreSQL: a database of our own on BENCH_DATABASE_URL's server (by default the local
  server, user postgres, maintenance database `test`), dropped at the end.

- The framework floor (row http-floor): the same gunicorn, clients and sessions reading a page
  that does nothing but authenticate and draw base.html (http_server.floor_app, a bench-only
  route), against the grid's baseline: what the framework alone leaves of the 30 % target.

Modules: http_server.py (gunicorn, the baseline and floor apps, the workers' CPU from /proc),
http_driver.py (the clients, the run's figures), http_pages.py (the coordinator's pages at L);
this one prepares the data, runs the parts and prints the entries.

Durations are parameters (BENCH_HTTP_SECONDS, BENCH_HTTP_CLIENTS, BENCH_HTTP_WARMUP) so that a
short run checks the harness; the measured figures use the defaults (30 s, 20 clients).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks import aggregated, generate
from benchmarks.http_driver import (  # noqa: F401  (CSRF, PASSWORD, Run: the profiling scripts' names)
    CLIENTS,
    CSRF,
    PASSWORD,
    SECONDS,
    WARMUP,
    Run,
    _drive,
    _fetch_page,
    _ms,
    _reader,
    _round,
    http_entry,
)
from benchmarks.http_pages import PAGES_SIZE, measure_pages
from benchmarks.http_server import (  # noqa: F401  (_free_port: browser_dossier.py's)
    APP_SPEC,
    BASELINE_SPEC,
    FLOOR_PATH,
    FLOOR_SPEC,
    WORKERS,
    _free_port,
    app_env,
    gunicorn,
    log,
)

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_RATIO, TARGET_P95_MS = 0.30, 150.0
TARGET_LABEL = "débit ≥ 30 % de la réf. ; p95 < 150 ms ; aucune erreur"


# --- data -----------------------------------------------------------------------------------


def _prepare(database_url: str, meta: dict) -> tuple[int, list[str]]:
    """The commune under test's draft (≈20 % of its lines filled, versions 1 to 3) and one agent
    account per client; returns (campaign id, the agents' emails)."""
    from sqlalchemy import insert, select
    from werkzeug.security import generate_password_hash

    from groupement import create_app
    from groupement.campaigns.models import NeedLine, Submission
    from groupement.campaigns.rules import SubmissionStatus
    from groupement.core.access import Role
    from groupement.core.search_text import name_key
    from groupement.core.timeutil import utcnow
    from groupement.extensions import db
    from groupement.organisations.user_models import User

    commune = meta["communes"][0]
    campaign = meta["open_campaign"]
    rng = random.Random(generate.SEED + 5)
    work = Path(tempfile.mkdtemp(prefix="bench-http-prepare-"))
    app = create_app(generate._config(work / "unused.db", work / "instance", database_url))
    now = utcnow().replace(microsecond=0)
    # As in generate.py: a cheap hash, so that 20 logins measure nothing but themselves.
    password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    emails = [f"agent{commune}@bench.invalid"] + [
        f"agent{commune}-{n:02d}@bench.invalid" for n in range(2, max(CLIENTS, 1) + 1)
    ]
    try:
        with app.app_context():
            conn = db.session.connection()
            conn.execute(
                insert(User),
                [
                    {
                        "email": email,
                        "name": f"Agent {commune} n° {n}",
                        "search_key": name_key(f"Agent {commune} n° {n}"),  # no mapper event in a bulk insert
                        "password_hash": password_hash,
                        "role": Role.AGENT,
                        "organisation_id": commune,
                        "active": True,
                        "created_at": now,
                    }
                    for n, email in enumerate(emails[1:], start=2)
                ],
            )
            agents = list(conn.execute(select(User.id).where(User.organisation_id == commune)).scalars())
            submission = conn.execute(
                insert(Submission)
                .values(
                    campaign_id=campaign,
                    commune_id=commune,
                    status=SubmissionStatus.DRAFT,
                    reopened=False,
                    comment="",
                    updated_at=now,
                    updated_by_id=agents[0],
                )
                .returning(Submission.id)
            ).scalar_one()
            conn.execute(
                insert(NeedLine),
                [
                    {
                        "submission_id": submission,
                        "item_id": item,
                        "quantity": rng.randint(1, 200),
                        "comment": "",
                        "version": rng.randint(1, 3),
                        "updated_at": now,
                        "updated_by_id": rng.choice(agents),
                    }
                    for item in range(1, meta["items"] + 1)
                    if rng.random() < generate.DENSITY
                ],
            )
            db.session.commit()
            if not database_url.startswith("postgresql"):
                from groupement.core.planner_statistics import refresh_planner_statistics

                refresh_planner_statistics()  # as the nightly work does (core/planner_statistics.py)
                db.session.commit()
            db.engine.dispose()
        if database_url.startswith("postgresql"):
            _analyze(database_url)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return campaign, emails


def _analyze(database_url: str) -> None:
    """VACUUM ANALYZE the freshly loaded database, as autovacuum does long before a real grid is
    read (the test server runs with autovacuum off). Without statistics the planner expects 7
    items of 5 000, probes campaign_item once per item, twice per page, and never reads the
    grid's order index (issue 14): it measured a database no site has."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


@contextmanager
def sqlite_database(data: Path, database: str = "base.db") -> Iterator[str]:
    """A private copy of the cached SQLite data set (the saves write to it)."""
    work = Path(tempfile.mkdtemp(prefix="bench-http-sqlite-"))
    try:
        shutil.copyfile(data / database, work / "bench.db")
        yield f"sqlite:///{work / 'bench.db'}"
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def postgresql_database() -> Iterator[str]:
    """A database of our own on the server of BENCH_DATABASE_URL, loaded by the same generator,
    dropped at the end (WITH (FORCE): a worker killed mid-run may leave a session behind)."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES)).set(drivername="postgresql")
    name = f"groupement_bench_{os.getpid()}"
    admin = server.render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    out = Path(tempfile.mkdtemp(prefix="bench-http-pg-"))
    try:
        url = server.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
        generate._generate(generate.HTTP_SIZE, generate.SEED, out, database_url=url)
        yield url
    finally:
        shutil.rmtree(out, ignore_errors=True)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the scenario ---------------------------------------------------------------------------


def measure(label: str, database_url: str, meta: dict) -> list[dict]:
    """The application and its baseline on one database; their entries for latest.json."""
    campaign, emails = _prepare(database_url, meta)
    grid = f"/campagnes/{campaign}/besoins"
    env = app_env(database_url)
    work = Path(tempfile.mkdtemp(prefix="bench-http-page-"))
    try:
        with gunicorn(APP_SPEC, env, "/connexion") as server:
            page, headers = asyncio.run(_fetch_page(server.url, grid, emails[0]))
            log(f"  http {label:<10} grille : {len(page) / 1e6:.1f} Mo, {CLIENTS} clients, {SECONDS:.0f} s…")
            app = asyncio.run(_drive(server, grid, emails, CLIENTS, WARMUP, SECONDS))
        if app.error_samples:
            log(f"  erreurs (exemples) : {app.error_samples}\n{server.log_tail()}")
        (work / "grid.html").write_bytes(page)
        (work / "grid.headers.json").write_text(json.dumps(headers))
        baseline_env = {**env, "BENCH_HTTP_PAGE": str(work / "grid.html"), "BENCH_HTTP_GRID": grid}
        with gunicorn(BASELINE_SPEC, baseline_env, grid) as base_server:
            base = asyncio.run(_drive(base_server, grid, emails, CLIENTS, WARMUP, SECONDS))
        floor, floor_server, floor_page = measure_floor(env, emails)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    entries = []
    for name, kinds in (("http-grid-get", ("get",)), ("http-grid-save", ("save",)), ("http-grid", ("get", "save"))):
        ours, theirs = app.summary(kinds), base.summary(kinds)
        missed = missed_parts(ours, theirs)
        entries.append(
            http_entry(
                name,
                label,
                ours,
                theirs,
                target=TARGET_LABEL,
                met=not missed,
                missed=missed,
                baseline="page pré-rendue (même gunicorn)",
                server=server,
                base_server=base_server,
                page=page,
                conflicts=ours["conflicts"],
            )  # fmt: skip
        )
        log(
            f"  {name:<15} {label:<10} {ours['throughput']:7.1f} req/s  p50 {_ms(ours['p50_ms'])}  "
            f"p95 {_ms(ours['p95_ms'])}  p99 {_ms(ours['p99_ms'])}  erreurs {ours['errors']}  "
            f"conflits {ours['conflicts']}  CPU {_round(ours['server_cpu_ms'])} ms/req.  "
            f"(réf. {theirs['throughput']:.1f} req/s)"
        )
    entries.append(_floor_entry(label, floor, floor_server, floor_page, base, base_server))
    return entries


def missed_parts(ours: dict, theirs: dict) -> list[str]:
    """The parts of the grid's target a run misses, in the label's order (none: met). The table
    says which, so that a p95 met is not hidden behind a throughput ratio missed."""
    ratio = ours["throughput"] / theirs["throughput"] if theirs["throughput"] else 0.0
    missed = []
    if ratio < TARGET_RATIO:
        missed.append("débit")
    if ours["p95_ms"] is None or ours["p95_ms"] >= TARGET_P95_MS:
        missed.append("p95")
    if ours["errors"] or not ours["requests"]:
        missed.append("erreurs" if ours["errors"] else "aucune requête")
    return missed


def measure_floor(env: dict, emails: list[str]) -> tuple[Run, object, bytes]:
    """The framework floor: the same gunicorn, the same clients and sessions, reading a page that
    does nothing but authenticate and draw base.html (benchmarks/http_server.floor_app). What it
    costs a request, every page pays before its own work."""
    with gunicorn(FLOOR_SPEC, env, "/connexion") as server:
        page, _ = asyncio.run(_fetch_page(server.url, FLOOR_PATH, emails[0]))
        log(f"  http-floor      plancher : {len(page) / 1e3:.1f} Ko, {CLIENTS} clients, {SECONDS:.0f} s…")
        run = asyncio.run(_drive(server, FLOOR_PATH, emails, CLIENTS, WARMUP, SECONDS, client=_reader))
    if run.error_samples:
        log(f"  erreurs (exemples) : {run.error_samples}\n{server.log_tail()}")
    return run, server, page


def _floor_entry(label: str, floor: Run, server, page: bytes, base: Run, base_server) -> dict:
    """The floor's row: its throughput against the grid's baseline says how much of the grid's
    target (TARGET_RATIO of the baseline) the framework alone leaves to the grid's own work."""
    ours, theirs = floor.summary(("get",)), base.summary(("get",))
    log(
        f"  http-floor      {label:<10} {ours['throughput']:7.1f} req/s  p95 {_ms(ours['p95_ms'])}  "
        f"CPU {_round(ours['server_cpu_ms'])} ms/req.  erreurs {ours['errors']}  "
        f"(réf. {theirs['throughput']:.1f} req/s)"
    )
    # For the record, no target of its own: no verdict, unless the harness failed (errors).
    return http_entry(
        "http-floor", label, ours, theirs, target="plancher du cadre (connexion + base.html), pour mémoire",
        met=None if ours["requests"] > 0 and ours["errors"] == 0 else False,
        baseline="page de la grille pré-rendue (même gunicorn)", server=server, base_server=base_server,
        page=page, conflicts=None,
    )  # fmt: skip


def postgresql_unavailable() -> str | None:
    """Why PostgreSQL cannot be used (None if it can): without a server, the SQLite figures stand alone."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES)).set(drivername="postgresql")
    try:
        psycopg.connect(server.render_as_string(hide_password=False), connect_timeout=5).close()
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]
    return None


PARTS = ("sqlite", "postgresql", "pages")


def main() -> None:
    # BENCH_HTTP_PARTS picks some of the parts (a check between full runs); the table uses them all.
    parts = [p.strip() for p in os.environ.get("BENCH_HTTP_PARTS", ",".join(PARTS)).split(",") if p.strip()]
    if os.environ.get("BENCH_HTTP_PAGES", "1") == "0":
        parts = [p for p in parts if p != "pages"]
    entries = []
    if "sqlite" in parts or "postgresql" in parts:
        data = generate.ensure(generate.HTTP_SIZE.name)
        meta = json.loads((data / "meta.json").read_text())
    if "sqlite" in parts:
        with sqlite_database(data) as url:
            entries += measure("SQLite", url, meta)
    if "postgresql" in parts:
        if reason := postgresql_unavailable():
            log(f"  http PostgreSQL indisponible ({reason}) : mesuré sur SQLite seulement.")
        else:
            with postgresql_database() as url:
                entries += measure("PostgreSQL", url, meta)
    if "pages" in parts:
        large = generate.ensure(PAGES_SIZE)
        aggregated.ensure_aggregated(PAGES_SIZE)
        with sqlite_database(large, aggregated.AGGREGATED) as url:
            entries += measure_pages("SQLite", url, json.loads((large / "meta.json").read_text()))
    print(json.dumps(entries, ensure_ascii=False))


if __name__ == "__main__":
    main()
