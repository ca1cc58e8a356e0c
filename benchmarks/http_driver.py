"""The HTTP scenario's driver: closed-loop clients (asyncio + aiohttp, one session each, loopback
only) that log in once, then read the page (and, for the grid, save a few lines after every
GETS_PER_SAVE-th read); the run's records, percentiles and CPU per request."""

from __future__ import annotations

import asyncio
import html
import os
import random
import re
import statistics
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from urllib.parse import quote_plus

from benchmarks.http_server import WORKERS, Server

SECONDS = float(os.environ.get("BENCH_HTTP_SECONDS", "30"))
CLIENTS = int(os.environ.get("BENCH_HTTP_CLIENTS", "20"))
WARMUP = float(os.environ.get("BENCH_HTTP_WARMUP", "3"))
GETS_PER_SAVE = 4  # the mix: 4 GET for 1 POST
SAVED_LINES = 5  # quantities changed by one save, out of the lines the page shows
PASSWORD = "bench-password"

CSRF = re.compile(rb'name="csrf_token"[^>]*?value="([^"]*)"')
# The grid's fields per item N: q-N quantity, c-N comment, v-N version seen, oq-N / oc-N shown values.
# On bytes, and `[^>]*` greedy (one value per tag): 3 × faster than a lazy match on a 2.5 MB page, and
# the driver shares the machine's 2 cores with the server it measures.
FIELD = re.compile(rb'name="((?:q|c|v|oq|oc)-\d+)"[^>]*value="([^"]*)"')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


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


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:6.0f} ms"


def http_entry(
    name: str, size: str, ours: dict, theirs: dict, *, target: str, met: bool | None, baseline: str,
    server, base_server, page: bytes, conflicts: int | None, missed: list[str] | None = None,
) -> dict:  # fmt: skip
    """One HTTP row of latest.json: the application's summary beside its baseline's, same run
    (`missed`: the parts of a target of several parts that the run misses)."""
    return {
        **({"missed": missed} if missed else {}),
        "name": name,
        "size": size,
        "seconds": SECONDS,
        "baseline": baseline,
        "baseline_seconds": SECONDS,
        "ratio": round(ours["throughput"] / theirs["throughput"], 2) if theirs["throughput"] else 0.0,
        "target": target,
        "met": met,
        "peak_rss_mb": server.workers_peak_rss_mb,
        "baseline_peak_rss_mb": base_server.workers_peak_rss_mb,
        "rows": ours["requests"],
        "throughput": round(ours["throughput"], 2),
        "p50_ms": _round(ours["p50_ms"]),
        "p95_ms": _round(ours["p95_ms"]),
        "p99_ms": _round(ours["p99_ms"]),
        "errors": ours["errors"],
        "conflicts": conflicts,
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
