"""The HTTP scenario's servers: gunicorn (2 sync workers) serving the application, the baseline
(the page's bytes pre-rendered) or the framework floor (a logged-in page that does nothing), each
stopped by its own pid; the workers' CPU time and peak memory read from /proc."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
APP_SPEC = "groupement:create_app()"
BASELINE_SPEC = "benchmarks.http_server:baseline_app()"
FLOOR_SPEC = "benchmarks.http_server:floor_app()"
FLOOR_PATH = "/banc/plancher"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def app_env(database_url: str) -> dict:
    """The environment of the application's gunicorn (and of the baseline's, for the same start)."""
    return {
        **os.environ,
        "GROUPEMENT_ENV": "development",  # plain HTTP on loopback: production's Secure cookies would not come back
        "SECRET_KEY": "bench-not-secret",
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": "false",  # 20 clients log in from one address
        "PYTHONHASHSEED": "0",
    }


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


def floor_app():
    """The framework floor: the real application (login loader, session, CSRF, request hooks,
    base.html's menu and session block) answering FLOOR_PATH with an empty page of the frame, for
    any logged-in user. Bench-only: the route is added here, never in the application."""
    from flask import render_template

    from groupement import create_app
    from groupement.web.access import ALL_ROLES, roles_required

    app = create_app()
    empty = app.jinja_env.from_string('{% extends "base.html" %}{% block title %}Plancher{% endblock %}')

    @roles_required(*ALL_ROLES)
    def floor():
        return render_template(empty)

    app.add_url_rule(FLOOR_PATH, "bench_floor", floor)
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
