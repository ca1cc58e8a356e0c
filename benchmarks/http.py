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

Durations are parameters (BENCH_HTTP_SECONDS, BENCH_HTTP_CLIENTS, BENCH_HTTP_WARMUP) so that a
short run checks the harness; the measured figures use the defaults (30 s, 20 clients).
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus

from benchmarks import aggregated, generate

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("BENCH_HTTP_SECONDS", "30"))
CLIENTS = int(os.environ.get("BENCH_HTTP_CLIENTS", "20"))
WARMUP = float(os.environ.get("BENCH_HTTP_WARMUP", "3"))
WORKERS = 2
GETS_PER_SAVE = 4  # the mix: 4 GET for 1 POST
SAVED_LINES = 5  # quantities changed by one save, out of the lines the page shows
PASSWORD = "bench-password"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_RATIO, TARGET_P95_MS = 0.30, 150.0
TARGET_LABEL = "débit ≥ 30 % de la réf. ; p95 < 150 ms ; aucune erreur"
APP_SPEC = "groupement:create_app()"
BASELINE_SPEC = "benchmarks.http:baseline_app()"

CSRF = re.compile(rb'name="csrf_token"[^>]*?value="([^"]*)"')
# The grid's fields per item N: q-N quantity, c-N comment, v-N version seen, oq-N / oc-N shown values.
# On bytes, and `[^>]*` greedy (one value per tag): 3 × faster than a lazy match on a 2.5 MB page, and
# the driver shares the machine's 2 cores with the server it measures.
FIELD = re.compile(rb'name="((?:q|c|v|oq|oc)-\d+)"[^>]*value="([^"]*)"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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
            db.engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return campaign, emails


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


# --- servers --------------------------------------------------------------------------------


def baseline_app():
    """The serving limit: a WSGI app answering every GET with the grid page's bytes and headers,
    as fetched once from the real server, and every POST with the redirect a successful save
    answers. gunicorn calls this factory in each worker (`benchmarks.http:baseline_app()`)."""
    page = Path(os.environ["BENCH_HTTP_PAGE"])
    body = page.read_bytes()
    headers = [(k, v) for k, v in json.loads(page.with_suffix(".headers.json").read_text()).items()]
    headers = [(k, v) for k, v in headers if k.lower() not in {"content-length", "set-cookie", "date", "server"}]
    headers.append(("Content-Length", str(len(body))))
    location = os.environ["BENCH_HTTP_GRID"]

    def app(environ, start_response):
        if environ["REQUEST_METHOD"] == "POST":
            environ["wsgi.input"].read()
            start_response("302 FOUND", [("Location", location), ("Content-Length", "0")])
            return [b""]
        start_response("200 OK", headers)
        return [body]

    return app


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path
    workers_peak_rss_mb: float = 0.0

    def workers(self) -> list[int]:
        """The worker processes: children of the gunicorn master, read from /proc."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def peak_rss_mb(self) -> float:
        """The largest worker's peak resident set (VmHWM), as the other scenarios report theirs."""
        peak = 0.0
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        return round(peak, 1)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the workers so far (/proc/<pid>/stat, fields 14 and 15)."""
        ticks = 0
        for pid in self.workers():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@contextmanager
def gunicorn(spec: str, env: dict, probe: str) -> Iterator[Server]:
    """gunicorn serving `spec` until the block ends; stopped by its own pid (SIGTERM, then SIGKILL)."""
    port = _free_port()
    work = Path(tempfile.mkdtemp(prefix="bench-http-gunicorn-"))
    log_file = work / "gunicorn.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(ROOT),
        "--timeout",
        "120",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        "--error-logfile",
        str(log_file),
        spec,
    ]
    with open(log_file, "ab") as sink:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=sink, stderr=sink)
    server = Server(f"http://127.0.0.1:{port}", process, log_file)
    try:
        _wait_ready(server, probe)
        yield server
        server.workers_peak_rss_mb = server.peak_rss_mb()
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(work, ignore_errors=True)


def _wait_ready(server: Server, probe: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"gunicorn s'est arrêté au démarrage :\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url + probe, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn ne répond pas après {timeout:.0f} s :\n{server.log_tail()}")


# --- the driver -----------------------------------------------------------------------------


@dataclass
class Run:
    """The requests of one load run: (kind, start, end, outcome) with outcome ok/conflict/error."""

    records: list[tuple[str, float, float, str]] = field(default_factory=list)
    window: tuple[float, float] = (0.0, 0.0)
    error_samples: list[str] = field(default_factory=list)
    # CPU seconds spent inside the window: by the server's workers, and by this driver (it shares the cores).
    server_cpu: float = 0.0
    driver_cpu: float = 0.0

    def add(self, kind: str, start: float, outcome: str, detail: str = "") -> None:
        self.records.append((kind, start, time.perf_counter(), outcome))
        if outcome == "error" and len(self.error_samples) < 5:
            self.error_samples.append(f"{kind} : {detail}")

    def summary(self, kinds: tuple[str, ...]) -> dict:
        first, last = self.window
        everything = [r for r in self.records if first <= r[2] <= last]  # completed inside the window
        inside = [r for r in everything if r[0] in kinds]
        latencies = sorted((end - start) * 1000 for _, start, end, _ in inside)
        if len(latencies) >= 2:
            cuts = statistics.quantiles(latencies, n=100, method="inclusive")
            p50, p95, p99 = cuts[49], cuts[94], cuts[98]
        else:
            p50 = p95 = p99 = latencies[0] if latencies else None
        return {
            "requests": len(inside),
            "throughput": len(inside) / (last - first),
            # over every request of the window, GET and POST mixed: the workers' CPU cannot be told apart
            "server_cpu_ms": 1000 * self.server_cpu / len(everything) if everything else None,
            "driver_cpu_share": self.driver_cpu / (last - first),
            "p50_ms": p50,
            "p95_ms": p95,
            "p99_ms": p99,
            "errors": sum(1 for r in inside if r[3] == "error"),
            "conflicts": sum(1 for r in inside if r[3] == "conflict"),
        }


async def _login(session, email: str) -> None:
    async with session.get("/connexion") as answer:
        page = await answer.read()
    token = CSRF.search(page)
    data = {"csrf_token": token.group(1).decode() if token else "", "email": email, "password": PASSWORD}
    async with session.post("/connexion", data=data, allow_redirects=False) as answer:
        await answer.read()
        if answer.status != 302:
            raise SystemExit(f"connexion refusée pour {email} : HTTP {answer.status}")


def save_body(page: bytes, rng: random.Random) -> bytes:
    """The grid form as a browser posts it (every field of the lines the page shows, in page order), with
    SAVED_LINES quantities changed; versions and shown values are those of `page`."""
    token = CSRF.search(page)
    fields = FIELD.findall(page)
    quantities = [i for i, (name, _) in enumerate(fields) if name.startswith(b"q-")]
    for index in rng.sample(quantities, min(SAVED_LINES, len(quantities))):
        name, value = fields[index]
        fields[index] = (name, b"%d" % (int(value or 0) % 999 + 1))  # always a different, valid quantity
    pairs = [(b"csrf_token", token.group(1) if token else b"")] + fields
    return b"&".join(name + b"=" + _form_value(value) for name, value in pairs)


def _form_value(value: bytes) -> bytes:
    """An attribute's value as a browser encodes it in a form: unescaped, then percent-encoded
    (numbers and empty values, nearly all of the 10 000 fields, as they are)."""
    if not value or value.isdigit():
        return value
    return quote_plus(html.unescape(value.decode())).encode()


def _session(base: str):
    import aiohttp

    # gunicorn's sync workers close every connection after the answer: there is no keep-alive to keep.
    return aiohttp.ClientSession(
        base,
        connector=aiohttp.TCPConnector(force_close=True, limit=1),
        timeout=aiohttp.ClientTimeout(total=120),
        cookie_jar=aiohttp.CookieJar(unsafe=True),  # accept cookies from 127.0.0.1
    )


async def _client(session, number: int, grid: str, run: Run) -> None:
    """One person: read the grid, and after every GETS_PER_SAVE-th read, save a few lines (client n
    counts from n: the saves of the 20 clients are spread over the run, not all after their 4th GET)."""
    import aiohttp

    rng = random.Random(number)
    gets = number
    while time.perf_counter() < run.window[1]:
        began = time.perf_counter()
        try:
            async with session.get(grid, allow_redirects=False) as answer:
                page = await answer.read()
                status = answer.status
        except (aiohttp.ClientError, TimeoutError) as failure:
            run.add("get", began, "error", repr(failure))
            await asyncio.sleep(0.05)
            continue
        run.add("get", began, "ok" if status == 200 else "error", f"HTTP {status}")
        if status != 200:
            continue
        gets += 1
        if gets % GETS_PER_SAVE or time.perf_counter() >= run.window[1]:
            continue
        body = save_body(page, rng)
        began = time.perf_counter()
        try:
            async with session.post(grid, data=body, headers=FORM, allow_redirects=False) as answer:
                await answer.read()
                status = answer.status
        except (aiohttp.ClientError, TimeoutError) as failure:
            run.add("save", began, "error", repr(failure))
            continue
        run.add("save", began, {302: "ok", 303: "ok", 409: "conflict"}.get(status, "error"), f"HTTP {status}")


async def _reader(session, number: int, path: str, run: Run) -> None:
    """One person reading a page again and again (the lots page, the invoice board)."""
    import aiohttp

    while time.perf_counter() < run.window[1]:
        began = time.perf_counter()
        try:
            async with session.get(path, allow_redirects=False) as answer:
                await answer.read()
                status = answer.status
        except (aiohttp.ClientError, TimeoutError) as failure:
            run.add("get", began, "error", repr(failure))
            await asyncio.sleep(0.05)
            continue
        run.add("get", began, "ok" if status == 200 else "error", f"HTTP {status}")


async def _drive(
    server: Server, grid: str, emails: list[str], clients: int, warmup: float, seconds: float, client=None
) -> Run:
    """`clients` sessions log in (not measured), then load the server together for warmup + seconds."""
    run = Run()
    async with AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(_session(server.url)) for _ in range(clients)]
        await asyncio.gather(*(_login(s, emails[n % len(emails)]) for n, s in enumerate(sessions)))
        begin = time.perf_counter()
        run.window = (begin + warmup, begin + warmup + seconds)
        clock = asyncio.create_task(_cpu_clock(server, run))
        await asyncio.gather(*((client or _client)(s, n, grid, run) for n, s in enumerate(sessions)))
        await clock
    return run


async def _cpu_clock(server: Server, run: Run) -> None:
    """The CPU time of the server's workers and of this process between the window's two ends."""
    await asyncio.sleep(max(0.0, run.window[0] - time.perf_counter()))
    server_start, driver_start = server.cpu_seconds(), time.process_time()
    await asyncio.sleep(max(0.0, run.window[1] - time.perf_counter()))
    run.server_cpu = server.cpu_seconds() - server_start
    run.driver_cpu = time.process_time() - driver_start


async def _fetch_page(base: str, grid: str, email: str) -> tuple[bytes, dict]:
    async with _session(base) as session:
        await _login(session, email)
        async with session.get(grid) as answer:
            if answer.status != 200:
                raise SystemExit(f"la grille répond HTTP {answer.status}")
            return await answer.read(), dict(answer.headers)


# --- the scenario ---------------------------------------------------------------------------


def measure(label: str, database_url: str, meta: dict) -> list[dict]:
    """The application and its baseline on one database; their entries for latest.json."""
    campaign, emails = _prepare(database_url, meta)
    grid = f"/campagnes/{campaign}/besoins"
    env = {
        **os.environ,
        "GROUPEMENT_ENV": "development",  # plain HTTP on loopback: production's Secure cookies would not come back
        "SECRET_KEY": "bench-not-secret",
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": "false",  # 20 clients log in from one address
        "PYTHONHASHSEED": "0",
    }
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
    finally:
        shutil.rmtree(work, ignore_errors=True)

    entries = []
    for name, kinds in (("http-grid-get", ("get",)), ("http-grid-save", ("save",)), ("http-grid", ("get", "save"))):
        ours, theirs = app.summary(kinds), base.summary(kinds)
        ratio = ours["throughput"] / theirs["throughput"] if theirs["throughput"] else 0.0
        met = (
            ours["requests"] > 0
            and ratio >= TARGET_RATIO
            and ours["p95_ms"] is not None
            and ours["p95_ms"] < TARGET_P95_MS
            and ours["errors"] == 0
        )
        entries.append(
            {
                "name": name,
                "size": label,
                "seconds": SECONDS,
                "baseline": "page pré-rendue (même gunicorn)",
                "baseline_seconds": SECONDS,
                "ratio": round(ratio, 2),
                "target": TARGET_LABEL,
                "met": met,
                "peak_rss_mb": server.workers_peak_rss_mb,
                "baseline_peak_rss_mb": base_server.workers_peak_rss_mb,
                "rows": ours["requests"],
                "throughput": round(ours["throughput"], 2),
                "p50_ms": _round(ours["p50_ms"]),
                "p95_ms": _round(ours["p95_ms"]),
                "p99_ms": _round(ours["p99_ms"]),
                "errors": ours["errors"],
                "conflicts": ours["conflicts"],
                "baseline_throughput": round(theirs["throughput"], 2),
                "baseline_p95_ms": _round(theirs["p95_ms"]),
                "server_cpu_ms_per_request": _round(ours["server_cpu_ms"]),
                "baseline_server_cpu_ms_per_request": _round(theirs["server_cpu_ms"]),
                "driver_cpu_share": round(ours["driver_cpu_share"], 2),
                "baseline_driver_cpu_share": round(theirs["driver_cpu_share"], 2),
                "clients": CLIENTS,
                "workers": WORKERS,
                "page_bytes": len(page),
            }
        )
        log(
            f"  {name:<15} {label:<10} {ours['throughput']:7.1f} req/s  p50 {_ms(ours['p50_ms'])}  "
            f"p95 {_ms(ours['p95_ms'])}  p99 {_ms(ours['p99_ms'])}  erreurs {ours['errors']}  "
            f"conflits {ours['conflicts']}  (réf. {theirs['throughput']:.1f} req/s)"
        )
    return entries


# --- the coordinator's pages at size L -------------------------------------------------------

PAGES = (("http-lots", "/campagnes/{campaign}/lots"), ("http-invoices", "/factures"))
PAGES_SIZE = "L"
INVOICE_LINES_EACH = 25
PAGES_TARGET_LABEL = "p95 < 150 ms ; aucune erreur"


def _prepare_pages(database_url: str, meta: dict) -> None:
    """At size L, on the copy of aggregated.AGGREGATED (the closed campaign already in lots): the size's
    invoice lines (50 000 at L) as imported invoices of 25 lines, spread over the communes."""
    from sqlalchemy import insert

    from groupement import create_app
    from groupement.core.timeutil import utcnow
    from groupement.extensions import db
    from groupement.invoices.models import Invoice, InvoiceLine
    from groupement.invoices.states import InvoiceKind, InvoiceStatus

    work = Path(tempfile.mkdtemp(prefix="bench-http-pages-"))
    app = create_app(generate._config(work / "unused.db", work / "instance", database_url))
    rng = random.Random(generate.SEED + 6)
    now = utcnow().replace(microsecond=0)
    communes = meta["communes"]
    invoices = meta["invoice_lines"] // INVOICE_LINES_EACH
    try:
        with app.app_context():
            conn = db.session.connection()
            conn.execute(
                insert(Invoice),
                [
                    {
                        "id": n,
                        "coordinator_id": 1,
                        "number": f"F-2026-{n:05d}",
                        "number_key": f"f2026{n:05d}",
                        "kind": InvoiceKind.INVOICE,
                        "type_code": "380",
                        "status": InvoiceStatus.IMPORTED,
                        "issue_date": now.date(),
                        "currency": "EUR",
                        "seller_key": f"4100000{n % 40:02d}00001",
                        "seller_name": f"Fournisseur {n % 40:02d}",
                        "source_format": "ubl",
                        "file_name": f"facture-{n:05d}.xml",
                        "total_ht": 0,
                        "total_vat": 0,
                        "total_ttc": 0,
                        "imported_at": now,
                        "imported_by_id": 1,
                    }
                    for n in range(1, invoices + 1)
                ],
            )
            lines = []
            for n in range(1, invoices + 1):
                for position in range(1, INVOICE_LINES_EACH + 1):
                    quantity, price = rng.randint(1, 50), rng.randint(100, 50_000)
                    lines.append(
                        {
                            "invoice_id": n,
                            "position": position,
                            "line_id": str(position),
                            "description": f"Article {position}",
                            "quantity": quantity,
                            "unit_price": price / 100,
                            "net_amount": quantity * price / 100,
                            "vat_rate": 20,
                            "commune_id": communes[(n * INVOICE_LINES_EACH + position) % len(communes)],
                        }
                    )
            conn.execute(insert(InvoiceLine), lines)
            db.session.commit()
            db.engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure_pages(label: str, database_url: str, meta: dict) -> list[dict]:
    """The lots page and the invoice board at L, read by CLIENTS coordinators' sessions, against
    the same gunicorn serving each page's bytes."""
    _prepare_pages(database_url, meta)
    email = "coordination@bench.invalid"
    env = {
        **os.environ,
        "GROUPEMENT_ENV": "development",
        "SECRET_KEY": "bench-not-secret",
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": "false",
        "PYTHONHASHSEED": "0",
    }
    entries = []
    work = Path(tempfile.mkdtemp(prefix="bench-http-pages-"))
    try:
        for name, pattern in PAGES:
            path = pattern.format(campaign=meta["closed_campaign"])
            with gunicorn(APP_SPEC, env, "/connexion") as server:
                page, headers = asyncio.run(_fetch_page(server.url, path, email))
                log(f"  {name:<15} {label:<10} {path} : {len(page) / 1e3:.0f} Ko, {CLIENTS} clients, {SECONDS:.0f} s…")
                ours_run = asyncio.run(_drive(server, path, [email], CLIENTS, WARMUP, SECONDS, client=_reader))
            if ours_run.error_samples:
                log(f"  erreurs (exemples) : {ours_run.error_samples}\n{server.log_tail()}")
            (work / "page.html").write_bytes(page)
            (work / "page.headers.json").write_text(json.dumps(headers))
            baseline_env = {**env, "BENCH_HTTP_PAGE": str(work / "page.html"), "BENCH_HTTP_GRID": path}
            with gunicorn(BASELINE_SPEC, baseline_env, path) as base_server:
                base_run = asyncio.run(_drive(base_server, path, [email], CLIENTS, WARMUP, SECONDS, client=_reader))
            ours, theirs = ours_run.summary(("get",)), base_run.summary(("get",))
            ratio = ours["throughput"] / theirs["throughput"] if theirs["throughput"] else 0.0
            met = ours["requests"] > 0 and ours["p95_ms"] is not None and ours["p95_ms"] < 150 and not ours["errors"]
            entries.append(
                {
                    "name": name,
                    "size": f"{label}, {PAGES_SIZE}",
                    "seconds": SECONDS,
                    "baseline": "page pré-rendue (même gunicorn)",
                    "baseline_seconds": SECONDS,
                    "ratio": round(ratio, 2),
                    "target": PAGES_TARGET_LABEL,
                    "met": met,
                    "peak_rss_mb": server.workers_peak_rss_mb,
                    "rows": ours["requests"],
                    "throughput": round(ours["throughput"], 2),
                    "p50_ms": _round(ours["p50_ms"]),
                    "p95_ms": _round(ours["p95_ms"]),
                    "p99_ms": _round(ours["p99_ms"]),
                    "errors": ours["errors"],
                    "conflicts": None,
                    "baseline_throughput": round(theirs["throughput"], 2),
                    "baseline_p95_ms": _round(theirs["p95_ms"]),
                    "server_cpu_ms_per_request": _round(ours["server_cpu_ms"]),
                    "baseline_server_cpu_ms_per_request": _round(theirs["server_cpu_ms"]),
                    "clients": CLIENTS,
                    "workers": WORKERS,
                    "page_bytes": len(page),
                }
            )
            log(
                f"  {name:<15} {label:<10} {ours['throughput']:7.1f} req/s  p95 {_ms(ours['p95_ms'])}  "
                f"erreurs {ours['errors']}  (réf. {theirs['throughput']:.1f} req/s)"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return entries


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:6.0f} ms"


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
