"""The tender dossier at size L in a real browser: `python -m benchmarks.browser_dossier [--size L]`.

Not part of `make test` nor of `make bench`: a check by hand of issue 14's « done when ». On a copy
of the benchmark's data set (benchmarks/generate.py, 1 000 communes × 5 000 items at L), once its
closed campaign is aggregated in process, it starts the application (Werkzeug's threaded server on loopback)
and one job worker (`groupement worker`, Huey's SQLite store of its own), then in Chromium, as the
coordinator: opens the campaign's lots, starts the dossier, watches the progress bar (a screenshot
at its first moves and about every PROGRESS_SHOT_SECONDS), and downloads the zip. The download is
then opened: openpyxl reads a commune's annex and the DQE of lot 1, and LibreOffice, when present,
recalculates that DQE with a price typed in every line and must find the totals computed here in
Decimal. Prints the timings and screenshot paths, and writes them to <out>/report.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from decimal import Decimal
from pathlib import Path

from benchmarks import generate
from benchmarks.http import _free_port

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password"
COORDINATOR = "coordination@bench.invalid"
PROGRESS_SHOT_SECONDS = 20
TIMEOUT_SECONDS = 1800
PRICE = Decimal("1.2345")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# As tests/e2e/browser.py: without these, Chromium keeps trying to reach hosts this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.browser_dossier")
    parser.add_argument("--size", default="L", choices=list(generate.SIZES))
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "groupement-dossier-navigateur"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    data = generate.ensure(args.size)
    meta = json.loads((data / "meta.json").read_text())
    work = Path(tempfile.mkdtemp(prefix="bench-browser-"))
    report: dict = {"size": args.size, "screenshots": [], "progress": []}
    try:
        database = work / "bench.db"
        shutil.copyfile(data / "base.db", database)
        started = time.perf_counter()
        _aggregate(database, work, meta["closed_campaign"])
        report["aggregation_seconds"] = round(time.perf_counter() - started, 1)
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "GROUPEMENT_ENV": "development",  # plain HTTP on loopback: production's Secure cookies would not come back
            "SECRET_KEY": "bench-not-secret",
            "DATABASE_URL": f"sqlite:///{database}",
            "JOBS_URL": f"sqlite:///{work / 'jobs.sqlite3'}",
            "JOBS_NAME": "bench-browser",
        }
        worker = _start_worker(env, work / "worker.log")
        port = _free_port()
        server = _start_server(env, port, work / "server.log")
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_ready(url, server)
            _in_chromium(url, meta["closed_campaign"], out, report)
        finally:
            _stop(server)
            _stop(worker)
            report["worker_log_tail"] = (work / "worker.log").read_text(errors="replace")[-1500:]
        _check_download(out / report["download"], report)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({key: value for key, value in report.items() if key != "worker_log_tail"}, indent=2))


def _aggregate(database: Path, work: Path, campaign_id: int) -> None:
    from benchmarks.scenarios import _coordinator_of
    from groupement import create_app
    from groupement.core.transaction import unit_of_work
    from groupement.extensions import db
    from groupement.lots.campaign_aggregation import aggregate_campaign

    app = create_app(generate._config(database, work / "instance"))
    with app.app_context():
        with unit_of_work():
            aggregate_campaign(_coordinator_of(campaign_id), campaign_id)
        db.session.remove()
        db.engine.dispose()


def _start_worker(env: dict, log: Path) -> subprocess.Popen:
    code = "from groupement.cli import main; main(['worker', '--workers', '1'])"
    with open(log, "wb") as sink:
        return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)


def _start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    """The application on loopback, Werkzeug's threaded server (the bench extra's gunicorn is not
    needed: the pages are light, the dossier is the worker's)."""
    code = (
        "from werkzeug.serving import run_simple; from groupement import create_app; "
        f"run_simple('127.0.0.1', {port}, create_app(), threaded=True)"
    )
    with open(log, "wb") as sink:
        return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)


def _wait_ready(url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("le serveur s'est arrêté au démarrage")
        try:
            with urllib.request.urlopen(url + "/connexion", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"le serveur ne répond pas après {timeout:.0f} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _in_chromium(url: str, campaign_id: int, out: Path, report: dict) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(120_000)

        def shot(name: str) -> None:
            path = out / f"{len(report['screenshots']) + 1:02d}-{name}.png"
            page.screenshot(path=str(path), full_page=False)
            report["screenshots"].append(str(path))

        page.goto(url + "/connexion")
        page.get_by_label("Adresse électronique").fill(COORDINATOR)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(url + "/")
        started = time.perf_counter()
        page.goto(f"{url}/campagnes/{campaign_id}/lots", timeout=900_000)  # its whole page, at L on a busy machine
        report["lots_page_seconds"] = round(time.perf_counter() - started, 2)
        shot("lots")

        started = time.perf_counter()
        page.get_by_role("button", name="Préparer le dossier de consultation (zip)").first.click()
        page.wait_for_url(f"{url}/travaux/*")
        report["start_seconds"] = round(time.perf_counter() - started, 2)
        report["job_url"] = page.url
        shot("travail-demarre")
        download = page.get_by_role("link", name="Télécharger dossier-")
        last_value, last_shot = None, 0.0
        while not download.count():
            elapsed = time.perf_counter() - started
            if elapsed > TIMEOUT_SECONDS:
                raise SystemExit(f"le dossier n'est pas prêt après {TIMEOUT_SECONDS} s")
            progress = page.locator("progress#job-progress")
            if progress.count():
                value = progress.get_attribute("value")
                if value != last_value:
                    report["progress"].append(
                        {"seconds": round(elapsed, 1), "done": value, "total": progress.get_attribute("max")}
                    )
                    if len(report["progress"]) <= 3 or elapsed - last_shot >= PROGRESS_SHOT_SECONDS:
                        shot(f"avancement-{value}")
                        last_shot = elapsed
                    last_value = value
            time.sleep(1)  # static/jobs.js polls the job's state and updates the bar by itself
        report["dossier_seconds"] = round(time.perf_counter() - started, 1)
        shot("dossier-pret")
        started = time.perf_counter()
        with page.expect_download(timeout=600_000) as event:
            download.click()
        target = out / event.value.suggested_filename
        event.value.save_as(target)
        report["download_seconds"] = round(time.perf_counter() - started, 1)
        report["download"] = target.name
        report["download_mb"] = round(target.stat().st_size / 1e6, 1)
        browser.close()


def _check_download(path: Path, report: dict) -> None:
    from openpyxl import load_workbook

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        annexes = [name for name in names if name.startswith("annexes-communes/")]
        dqe_name = next(name for name in names if name.endswith("/DQE.xlsx"))
        annex = load_workbook(io.BytesIO(archive.read(annexes[0])), read_only=True)["Annexe"]
        rows = list(annex.iter_rows(values_only=True))
        dqe = archive.read(dqe_name)
    report["zip_files"] = len(names)
    report["annexes"] = len(annexes)
    report["annex_checked"] = {"file": annexes[0], "rows": len(rows), "commune": rows[1][0]}
    assert rows[1][0].startswith("Commune : "), rows[1]
    report["dqe_checked"] = _recalculated_dqe(dqe_name, dqe)


def _recalculated_dqe(name: str, content: bytes) -> dict:
    """The DQE with PRICE typed in every line, recalculated by LibreOffice: its Total HT, TVA and
    TTC must be the ones computed here in Decimal from the quantities and rates it holds."""
    from openpyxl import load_workbook

    from groupement.core.money import to_cents
    from groupement.tenders.tender_data import dqe_line_total
    from groupement.tenders.tender_layout import FIRST_LINE_ROW

    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    ht = vat_base = Decimal(0)
    row = FIRST_LINE_ROW
    while isinstance(sheet[f"F{row}"].value, int):  # Quantité estimée, then the totals' rows
        sheet[f"G{row}"], sheet[f"H{row}"] = PRICE, Decimal(0)
        total = dqe_line_total(sheet[f"F{row}"].value, PRICE)
        ht += total
        vat_base += total * Decimal(str(sheet[f"J{row}"].value))
        row += 1
    lines = row - FIRST_LINE_ROW
    expected = {"ht": ht, "vat": to_cents(vat_base / 100), "ttc": ht + to_cents(vat_base / 100)}
    soffice = shutil.which("soffice")
    if soffice is None:
        return {"file": name, "lines": lines, "libreoffice": "absent"}
    folder = Path(tempfile.mkdtemp(prefix="bench-browser-recalc-"))
    try:
        source, target = folder / "source", folder / "target"
        source.mkdir()
        workbook.calculation.fullCalcOnLoad = True
        workbook.save(source / "dqe.xlsx")
        started = time.perf_counter()
        command = [soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless", "--norestore"]
        command += ["--convert-to", "xlsx", "--outdir", str(target), str(source / "dqe.xlsx")]
        subprocess.run(command, check=True, capture_output=True, timeout=600)
        recalculated = load_workbook(target / "dqe.xlsx", data_only=True).worksheets[0]
        found = {
            key: to_cents(Decimal(repr(recalculated[f"I{row + offset}"].value)))
            for offset, key in enumerate(("ht", "vat", "ttc"))
        }
        return {
            "file": name,
            "lines": lines,
            "libreoffice_seconds": round(time.perf_counter() - started, 1),
            "expected": {key: str(value) for key, value in expected.items()},
            "found": {key: str(value) for key, value in found.items()},
            "same": found == expected,
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
