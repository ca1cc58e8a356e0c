"""The measured scenarios: each variant (the application's code path, or a baseline) runs in its
own process (`python -m benchmarks.scenarios <scenario> <variant> <size>`, or measure_into() in a
process the runner forks), so its peak RSS is its own; it gives {"seconds", "rows", "peak_rss_mb"}.

Only the work named in each function is timed; setup (copying the database, loading the files
into memory, the aggregation an export needs) is not.
"""

from __future__ import annotations

import io
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from benchmarks import aggregated, generate


def clock() -> float:
    """The timer of every scenario: wall time, or with BENCH_CLOCK=cpu this process's CPU time (user
    and system), steadier on a machine shared with other work. The job scenario always uses wall
    time: its work runs in another process."""
    return time.process_time() if CLOCK == "cpu" else time.perf_counter()


CLOCK = os.environ.get("BENCH_CLOCK", "wall")

# scenario -> {variant: description}; the first variant is the application, the others baselines.
SCENARIOS = {
    "import": {
        "app": "every file as the upload route takes it: checked and confirmed by jobs (run in process) from "
        "NEEDS_IMPORT_JOB_BYTES on, else preview_upload + confirm_upload in two units of work",
        "executemany": "python-calamine read of the same files + one executemany of the same need lines, commit",
        "pandas": "pandas.read_excel(engine='openpyxl') of the same files + concat",
        "calamine": "python-calamine read of the same files",
    },
    "aggregate": {
        "app": "lots.campaign_aggregation.aggregate_campaign (lots, lines, shares, commit)",
        "sql": "raw SQL: the GROUP BY, the INSERT … SELECT of the lines and of the same shares, commit",
        "groupby": "one SQL GROUP BY item over the same need lines",
    },
    "exports": {
        "app": "overview_of + tender_files (all-lots, DQE, BPU, recap per lot, annex per commune); the annexes "
        "by EXPORT_PROCESSES processes (default: one per core, here 2; the baselines are single-process); "
        "clock cpu: the pool's processor time added, peak memory: the processes' peaks added",
        "writeonly": "the same cells loaded by 2 SQL queries and dumped with openpyxl write-only, no styles",
        "xlsxwriter": "the same cells loaded by 2 SQL queries and dumped with XlsxWriter constant-memory, no styles",
    },
    "jobs": {
        "app": "the aggregation started as a job and waited for (JOB_ENGINE: enqueue, a real worker, done)",
        "inprocess": "the same aggregate_campaign called in-process, in one unit of work",
    },
    "split": {
        "app": "invoices.allocation.split_invoice (key: amount)",
        "numpy": "vectorised numpy largest-remainder split of the same amounts",
    },
}


# The peaks of the processes a scenario started beside its own (the exports' pool): an upper bound
# of what they held together, since each counts the pages they share.
EXTRA_PEAK_RSS_MB: list[float] = []


def peak_rss_mb() -> float:
    """This process's own peak resident set (VmHWM). Not getrusage's ru_maxrss: on Linux it carries
    over the parent's peak through fork and exec, so every scenario would report at least the runner's."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux, elsewhere an upper bound


@contextmanager
def app_on_copy(data: Path, database: str = "base.db"):
    """An application context on a private copy of the size's database (or of aggregated.AGGREGATED)."""
    from groupement import create_app

    work = Path(tempfile.mkdtemp(prefix="bench-run-"))
    try:
        shutil.copyfile(data / database, work / "bench.db")
        app = create_app(generate._config(work / "bench.db", work / "instance"))
        with app.app_context():
            yield app
            from groupement.extensions import db

            db.session.remove()
            db.engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _files(data: Path, meta: dict) -> list[tuple[int, str, bytes]]:
    files = []
    for name in meta["import_files"]:
        commune = int(name.removeprefix("besoins-").removesuffix(".xlsx"))
        files.append((commune, name, (data / "needs" / name).read_bytes()))
    return files


# --- 1. needs import --------------------------------------------------------------------------


def run_import(variant: str, data: Path, meta: dict) -> tuple[float, int]:
    files = _files(data, meta)
    rows = len(files) * meta["items"]
    if variant == "pandas":
        try:
            import pandas as pd
        except ImportError:
            raise Skipped("pandas n'est pas installé ici (référence facultative)") from None

        start = clock()
        frames = [
            pd.read_excel(io.BytesIO(content), engine="openpyxl", sheet_name=0, header=6) for _, _, content in files
        ]
        pd.concat(frames, ignore_index=True)
        return clock() - start, rows
    if variant == "calamine":
        from python_calamine import CalamineWorkbook

        start = clock()
        out = []
        for _, _, content in files:
            out.extend(CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python())
        return clock() - start, rows

    if variant == "executemany":
        return _import_in_sql(data, meta, files), rows

    from sqlalchemy.orm import configure_mappers

    from groupement.campaigns import needs_import_job
    from groupement.campaigns.needs_upload import confirm_upload, preview_upload
    from groupement.core.access import Actor, Role
    from groupement.core.transaction import unit_of_work

    with app_on_copy(data) as app:
        configure_mappers()  # a server is warm (the executemany baseline's first query does it too)
        start = clock()
        for commune, name, content in files:
            actor = Actor(user_id=meta["agent_user_of"][str(commune)], role=Role.AGENT, organisation_id=commune)
            if needs_import_job.as_job(len(content)):  # the application's own rule, as its route applies it
                _import_as_jobs(app, actor, meta["open_campaign"], name, content)
                continue
            with unit_of_work():  # two requests in the application: the preview, then the confirm
                pending = preview_upload(actor, meta["open_campaign"], name, content)
            with unit_of_work():
                confirm_upload(actor, meta["open_campaign"], pending.id)
        return clock() - start, rows


def _import_as_jobs(app, actor, campaign_id: int, name: str, content: bytes) -> None:
    """A large file as the upload route handles it: the check started as a job and run (in this
    process, as tests do: the engine's own overhead is the "jobs" scenario), then the confirmation,
    as a job too when it changes NEEDS_IMPORT_JOB_CHANGES lines or more."""
    from groupement.campaigns import needs_import_job
    from groupement.campaigns.needs_upload import confirm_upload
    from groupement.core.jobs import Job, JobState
    from groupement.core.jobs_runner import run_pending_jobs
    from groupement.core.transaction import unit_of_work
    from groupement.extensions import db

    def run(job_id: int) -> Job:
        run_pending_jobs(app)
        db.session.rollback()
        job = db.session.get(Job, job_id)
        if job.state is not JobState.DONE:
            raise RuntimeError(f"{job.kind} : {job.state.value} : {job.error}")
        return job

    with unit_of_work():
        job_id = needs_import_job.start_check(actor, campaign_id, name, content).id
    upload_id = int(run(job_id).result_url.rstrip("/").rsplit("/", 1)[-1])
    with unit_of_work():
        changes = needs_import_job.pending_changes(actor, campaign_id, upload_id)
        if not needs_import_job.confirm_as_job(changes or 0):
            confirm_upload(actor, campaign_id, upload_id)
            return
        job_id = needs_import_job.start_confirm(actor, campaign_id, upload_id).id
    run(job_id)


def _import_in_sql(data: Path, meta: dict, files) -> float:
    """The import's limit: every file read by python-calamine (its rows below the header: reference
    in A, quantity in G, comment in H), each commune's submission inserted, then the need lines of
    every file by one executemany, one commit."""
    from python_calamine import CalamineWorkbook
    from sqlalchemy import insert, select

    from groupement.campaigns.models import NeedLine, Submission
    from groupement.campaigns.rules import SubmissionStatus
    from groupement.catalog.models import CatalogItem
    from groupement.core.timeutil import utcnow
    from groupement.extensions import db

    with app_on_copy(data):
        item_of = dict(db.session.execute(select(CatalogItem.ref, CatalogItem.id)).all())
        start = clock()
        now = utcnow()
        lines = []
        for commune, _, content in files:
            agent = meta["agent_user_of"][str(commune)]
            submission = db.session.execute(
                insert(Submission)
                .values(
                    campaign_id=meta["open_campaign"],
                    commune_id=commune,
                    status=SubmissionStatus.DRAFT,
                    updated_at=now,
                    updated_by_id=agent,
                )
                .returning(Submission.id)
            ).scalar_one()
            rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
            for row in rows[7:]:
                if len(row) > 6 and row[6] not in ("", None) and row[0] in item_of:
                    comment = row[7] if len(row) > 7 and isinstance(row[7], str) else ""
                    lines.append(
                        {
                            "submission_id": submission,
                            "item_id": item_of[row[0]],
                            "quantity": int(row[6]),
                            "comment": comment,
                            "version": 1,
                            "updated_at": now,
                            "updated_by_id": agent,
                        }
                    )
        db.session.execute(insert(NeedLine), lines)
        db.session.commit()
        return clock() - start


def _coordinator_of(campaign_id: int):
    """The system actor of the campaign's coordinator, as the CLI would act."""
    from groupement.campaigns.models import Campaign
    from groupement.core.access import system_actor
    from groupement.extensions import db

    return system_actor(db.session.get(Campaign, campaign_id).groupement.coordinator_id)


# --- 2. aggregation ---------------------------------------------------------------------------


def run_aggregate(variant: str, data: Path, meta: dict) -> tuple[float, int]:
    from sqlalchemy import text
    from sqlalchemy.orm import configure_mappers

    from groupement.extensions import db

    rows = meta["need_lines"]
    with app_on_copy(data):
        # Warm the page cache and the ORM's mappers the same way for both variants (a server is warm).
        db.session.execute(text("SELECT count(*) FROM need_line")).scalar()
        configure_mappers()
        if variant == "sql":
            start = clock()
            _aggregate_in_sql(db, meta["closed_campaign"])
            return clock() - start, rows
        if variant == "groupby":
            start = clock()
            db.session.execute(
                text(
                    "SELECT n.item_id, SUM(n.quantity), COUNT(*) FROM need_line n "
                    "JOIN submission s ON s.id = n.submission_id "
                    "WHERE s.campaign_id = :c AND s.status = 'validated' AND n.quantity > 0 GROUP BY n.item_id"
                ),
                {"c": meta["closed_campaign"]},
            ).all()
            return clock() - start, rows
        from groupement.core.transaction import unit_of_work
        from groupement.lots.campaign_aggregation import aggregate_campaign

        start = clock()
        with unit_of_work():
            aggregate_campaign(_coordinator_of(meta["closed_campaign"]), meta["closed_campaign"])
        return clock() - start, rows


LINE_JOIN = "JOIN lot_line ll ON ll.campaign_id = :c AND ll.item_id = n.item_id"


def _aggregate_in_sql(db, campaign_id: int) -> None:
    """The same work as aggregate_campaign in raw SQL: the totals by item (GROUP BY, fetched), one
    lot, its lines by INSERT … SELECT (the GROUP BY again, joined to the catalog), every commune's
    share by INSERT … SELECT, one commit."""
    from sqlalchemy import insert, text

    from groupement.lots.models import Lot
    from groupement.organisations.families import Family

    needs = (
        "FROM need_line n JOIN submission s ON s.id = n.submission_id "
        "WHERE s.campaign_id = :c AND s.status = 'validated' AND n.quantity > 0"
    )
    session = db.session
    session.execute(text(f"SELECT n.item_id, SUM(n.quantity) {needs} GROUP BY n.item_id"), {"c": campaign_id}).all()
    # The lot row through SQLAlchemy core, for its enum and default columns: one statement either way.
    lot = session.execute(
        insert(Lot)
        .values(campaign_id=campaign_id, number=1, title="Lot", search_key="lot", family=Family.FOURNITURES)
        .returning(Lot.id)
    ).scalar_one()
    session.execute(
        text(
            "INSERT INTO lot_line (lot_id, campaign_id, item_id, line_key, position, ref, designation, unit, "
            "cpv_code, account, vat_rate, estimated_unit_price, eco_participation, total_quantity) "
            "SELECT :lot, :c, t.item_id, 'C' || :c || '-I' || t.item_id, ROW_NUMBER() OVER (ORDER BY i.ref), "
            "i.ref, i.designation, i.unit, i.cpv_code, i.account, i.vat_rate, i.unit_price_ht, i.eco_participation, "
            f"t.total FROM (SELECT n.item_id, SUM(n.quantity) AS total {needs} GROUP BY n.item_id) t "
            "JOIN catalog_item i ON i.id = t.item_id"
        ),
        {"c": campaign_id, "lot": lot},
    )
    session.execute(
        text(
            "INSERT INTO lot_line_share (lot_line_id, commune_id, quantity) "
            f"SELECT ll.id, s.commune_id, n.quantity {needs.replace('WHERE', LINE_JOIN + ' WHERE')}"
        ),
        {"c": campaign_id},
    )
    session.commit()


# --- 3. exports -------------------------------------------------------------------------------


def run_exports(variant: str, data: Path, meta: dict) -> tuple[float, int]:
    from sqlalchemy import text

    from groupement.campaigns.models import Campaign
    from groupement.extensions import db
    from groupement.lots.queries import overview_of
    from groupement.tenders.exports import tender_files

    aggregated.ensure_aggregated(meta["size"])  # built once by `python -m benchmarks`, before the variants
    with app_on_copy(data, aggregated.AGGREGATED):
        shares = db.session.execute(text("SELECT count(*) FROM lot_line_share")).scalar()
        if variant in DUMPS:
            start, wall = clock(), time.perf_counter()
            DUMPS[variant](db, meta["closed_campaign"])
            seconds, wall = clock() - start, time.perf_counter() - wall
            print(f"exports: {variant}; wall {wall:.1f} s", file=sys.stderr)
            return seconds, shares
        from groupement.tenders.annex_xlsx import pool_use

        start, wall = clock(), time.perf_counter()
        campaign = db.session.get(Campaign, meta["closed_campaign"])
        count = size = 0
        for _, content in tender_files(overview_of(campaign)):  # each file dropped once produced
            count, size = count + 1, size + len(content)
        seconds, wall = clock() - start, time.perf_counter() - wall
        if CLOCK == "cpu":  # the annexes written by the pool's processes: their time is not this process's
            seconds += pool_use.seconds
        EXTRA_PEAK_RSS_MB.append(sum(pool_use.peak_rss_mb.values()))
        peaks = sorted(round(v) for v in pool_use.peak_rss_mb.values())
        print(
            f"exports: {count} files, {size // 1024} Ko; wall {wall:.1f} s; pool: {len(peaks)} processes, "
            f"{pool_use.seconds:.1f} s CPU, peaks {peaks} Mo",
            file=sys.stderr,
        )
        return seconds, shares


def _write_only_dump(db, campaign_id: int) -> None:
    """The cells of tender_files dumped with openpyxl's write-only mode, no styles."""
    from openpyxl import Workbook

    def book(rows_of_sheets) -> bytes:
        workbook = Workbook(write_only=True)
        for title, rows in rows_of_sheets:
            sheet = workbook.create_sheet(title[:31])
            for row in rows:
                sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    for rows_of_sheets in _dump_books(db, campaign_id):
        book(rows_of_sheets)


def _xlsxwriter_dump(db, campaign_id: int) -> None:
    """The same cells dumped with XlsxWriter in constant-memory mode, no styles: the writing limit.
    Rows are written by write_row (which types each value itself), formulas as formulas."""
    import xlsxwriter

    def book(rows_of_sheets) -> bytes:
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True})
        for title, rows in rows_of_sheets:
            sheet = workbook.add_worksheet(title[:31])
            for index, row in enumerate(rows):
                sheet.write_row(index, 0, row)
        workbook.close()
        return buffer.getvalue()

    for rows_of_sheets in _dump_books(db, campaign_id):
        book(rows_of_sheets)


def _dump_books(db, campaign_id: int):
    """The cells of tender_files, unstyled, one workbook at a time as [(sheet title, rows)]: the
    all-lots book, per lot DQE/BPU/recap, per commune annex (the recap and annex cells as the
    application writes them, the bulk at L); the data loaded by two queries."""
    from collections import defaultdict

    from sqlalchemy import text

    lines = db.session.execute(
        text(
            "SELECT l.number, l.title, ll.id, ll.line_key, c.ref, c.designation, c.unit, c.cpv_code, "
            "ll.total_quantity, c.vat_rate, c.unit_price_ht FROM lot_line ll JOIN lot l ON l.id = ll.lot_id "
            "JOIN catalog_item c ON c.id = ll.item_id WHERE l.campaign_id = :c ORDER BY l.number, ll.position"
        ),
        {"c": campaign_id},
    ).all()
    shares = db.session.execute(
        text(
            "SELECT s.lot_line_id, o.insee_code, o.name, s.quantity FROM lot_line_share s "
            "JOIN organisation o ON o.id = s.commune_id JOIN lot_line ll ON ll.id = s.lot_line_id "
            "JOIN lot l ON l.id = ll.lot_id WHERE l.campaign_id = :c"
        ),
        {"c": campaign_id},
    ).all()
    by_line: dict[int, dict[str, int]] = defaultdict(dict)
    by_commune: dict[tuple[str, str], dict[int, int]] = defaultdict(dict)
    for line_id, insee, name, quantity in shares:
        by_line[line_id][insee] = quantity
        by_commune[(insee, name)][line_id] = quantity
    lots: dict[int, list] = defaultdict(list)
    for row in lines:
        lots[row[0]].append(row)

    def dqe_rows(rows):
        yield ("N°", "Réf.", "Désignation", "Unité", "CPV", "Quantité", "TVA", "Prix")
        for n, r in enumerate(rows, 1):
            yield (n, r[4], r[5], r[6], r[7], r[8], float(r[9]), float(r[10]))

    yield [(f"Lot {number}", dqe_rows(rows)) for number, rows in lots.items()]
    for rows in lots.values():
        yield [("DQE", dqe_rows(rows))]
        yield [("BPU", ((n, r[4], r[5], r[6], r[7], None) for n, r in enumerate(rows, 1)))]
        communes = sorted({insee for r in rows for insee in by_line[r[2]]})
        # As the application's recap: no cell for a zero, a row total and the lot's quantity.
        recap = [("N°", "Réf.", "Désignation", "Unité", *communes, "Total", "Lot")]
        recap += [
            (n, r[4], r[5], r[6], *(by_line[r[2]].get(c) for c in communes), f"=SUM(E{n + 7}:E{n + 7})", r[8])
            for n, r in enumerate(rows, 1)
        ]
        yield [("Récapitulatif", recap)]
    line_of = {r[2]: r for r in lines}
    for (insee, name), quantities in sorted(by_commune.items(), key=lambda kv: kv[0][1]):
        # As the application's annex: per line its quantity, estimated unit price and amount formula.
        annex = [(name, insee), ("Lot", "Réf.", "Désignation", "Unité", "Quantité", "Prix", "Montant")]
        annex += [
            (line_of[i][0], line_of[i][4], line_of[i][5], line_of[i][6], q, line_of[i][10], f"=E{n}*F{n}")
            for n, (i, q) in enumerate(quantities.items(), 3)
        ]
        yield [("Annexe", annex)]


# --- job overhead -----------------------------------------------------------------------------

# The small interface the job scenario drives: a function that starts a job of `kind` with `params`
# as the start POST does (for `actor`), lets a real worker run it, and returns once the job is done
# (raising if it failed or `timeout` seconds went by). groupement's job engine provides it.
JOB_ENGINE = "groupement.core.jobs_worker:enqueue_and_wait"  # (actor, kind: str, params: dict, timeout: float) -> None
JOB_KIND = "lots.aggregate"  # the aggregation of a campaign, params {"campaign_id": id}


class Skipped(Exception):
    """The scenario cannot run here; its message says why (shown in the table)."""


def job_engine():
    """JOB_ENGINE's function, or Skipped with the reason."""
    import importlib

    module_name, function_name = JOB_ENGINE.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise Skipped(f"groupement n'a pas encore de moteur de tâches ({module_name} introuvable)") from None
    function = getattr(module, function_name, None)
    if not callable(function):
        raise Skipped(f"le moteur de tâches n'offre pas {JOB_ENGINE} (démarrer une tâche et l'attendre)")
    return function


def run_jobs(variant: str, data: Path, meta: dict) -> tuple[float, int]:
    from sqlalchemy import text

    from groupement.core.transaction import unit_of_work
    from groupement.extensions import db
    from groupement.lots.campaign_aggregation import aggregate_campaign

    global CLOCK
    CLOCK = "wall"  # the worker's time counts, and it is another process
    enqueue_and_wait = job_engine() if variant == "app" else None
    with app_on_copy(data):
        db.session.execute(text("SELECT count(*) FROM need_line")).scalar()
        actor = _coordinator_of(meta["closed_campaign"])
        start = clock()
        if enqueue_and_wait is not None:
            enqueue_and_wait(actor, JOB_KIND, {"campaign_id": meta["closed_campaign"]}, timeout=600)
        else:
            with unit_of_work():
                aggregate_campaign(actor, meta["closed_campaign"])
        return clock() - start, meta["need_lines"]


# --- 4. invoice split -------------------------------------------------------------------------


def invoice(meta: dict):
    """50 000 lines (L) tied to 1 000 communes, three VAT rates, two charges and an allowance shared."""
    from groupement.invoices.allocation import CommuneInfo, SplitLine

    rng = random.Random(generate.SEED + 4)
    n_communes = meta["invoice_communes"]
    communes = [
        CommuneInfo(f"{38000 + i:05d}", f"Commune {i:04d}", rng.randint(300, 30_000)) for i in range(n_communes)
    ]
    rates = (Decimal("20.00"), Decimal("10.00"), Decimal("5.50"))
    lines = [
        SplitLine(
            key=f"L{i}",
            net_amount=Decimal(rng.randint(100, 500_000)) / 100,
            vat_rate=rates[i % 3],
            quantity=Decimal(rng.randint(1, 50)),
            commune=communes[i % n_communes].insee,
        )
        for i in range(meta["invoice_lines"])
    ]
    lines += [
        SplitLine("charge-1", Decimal("1234.56"), rates[0], Decimal(0), None),
        SplitLine("charge-2", Decimal("89.01"), rates[2], Decimal(0), None),
        SplitLine("allowance-1", Decimal("-2500.03"), rates[0], Decimal(0), None),
    ]
    return lines, communes


SPLIT_REPEATS = 7


def run_split(variant: str, data: Path, meta: dict) -> tuple[float, int]:
    """The median of SPLIT_REPEATS runs: a split takes tens of milliseconds, one run is noise."""
    lines, communes = invoice(meta)
    timings = sorted(_split_once(variant, lines, communes) for _ in range(SPLIT_REPEATS))
    return timings[len(timings) // 2], len(lines)


def _split_once(variant: str, lines, communes) -> float:
    if variant == "numpy":
        import numpy as np

        index = {c.insee: i for i, c in enumerate(communes)}
        rate_values = sorted({line.vat_rate for line in lines})
        # Conversion to arrays is part of the baseline (the application gets Decimals too).
        start = clock()
        cents = np.array([int(line.net_amount * 100) for line in lines], dtype=np.int64)
        rate = np.array([rate_values.index(line.vat_rate) for line in lines], dtype=np.int64)
        owner = np.array([index[line.commune] if line.commune else -1 for line in lines], dtype=np.int64)
        n = len(communes)
        tied = owner >= 0
        bases = np.zeros((len(rate_values), n), dtype=np.int64)
        np.add.at(bases, (rate[tied], owner[tied]), cents[tied])
        weights = np.bincount(owner[tied], weights=cents[tied], minlength=n).astype(np.int64)

        def split(total: int, w: np.ndarray) -> np.ndarray:
            w = np.abs(w)
            exact = total * w
            part = exact // w.sum()
            remainder = exact - part * w.sum()
            missing = total - part.sum()
            order = np.lexsort((np.arange(n), -w, -remainder))
            part[order[:missing]] += 1
            return part

        for i in np.nonzero(~tied)[0]:
            bases[rate[i]] += split(int(cents[i]), weights)
        for r, value in enumerate(rate_values):
            base = int(bases[r].sum())
            vat = int((Decimal(base) * value / 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
            if base:
                split(vat, bases[r])
        return clock() - start
    from groupement.invoices.allocation import AllocationKey, split_invoice

    start = clock()
    split_invoice(lines, communes, AllocationKey.AMOUNT)
    return clock() - start


DUMPS = {"writeonly": _write_only_dump, "xlsxwriter": _xlsxwriter_dump}
RUNNERS = {
    "import": run_import,
    "aggregate": run_aggregate,
    "exports": run_exports,
    "jobs": run_jobs,
    "split": run_split,
}


def measure(scenario: str, variant: str, size: str) -> dict:
    """One variant measured in this process: {"seconds", "rows", "peak_rss_mb"} or {"skipped"}."""
    data = generate.ensure(size)
    meta = json.loads((data / "meta.json").read_text())
    try:
        seconds, rows = RUNNERS[scenario](variant, data, meta)
    except Skipped as reason:
        return {"skipped": str(reason)}
    peak = peak_rss_mb() + sum(EXTRA_PEAK_RSS_MB)
    return {"seconds": seconds, "rows": rows, "peak_rss_mb": round(peak, 1)}


def measure_into(connection, scenario: str, variant: str, size: str) -> None:
    """measure() in a process forked by the runner's forkserver: the result (or the traceback)
    goes back through `connection`."""
    import traceback

    try:
        connection.send(measure(scenario, variant, size))
    except BaseException:
        connection.send({"error": traceback.format_exc()})
    finally:
        connection.close()


def main(argv: list[str]) -> None:
    scenario, variant, size = argv
    print(json.dumps(measure(scenario, variant, size), ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
