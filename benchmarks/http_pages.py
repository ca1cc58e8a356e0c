"""The HTTP scenario's third part: the coordinator's pages at size L (the lots page, the invoice
board), read by CLIENTS coordinators' sessions against the same gunicorn serving each page's bytes."""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import tempfile
from pathlib import Path

from benchmarks import generate
from benchmarks.http_driver import CLIENTS, SECONDS, WARMUP, _drive, _fetch_page, _ms, _reader, http_entry
from benchmarks.http_server import APP_SPEC, BASELINE_SPEC, app_env, gunicorn, log

PAGES = (("http-lots", "/campagnes/{campaign}/lots"), ("http-invoices", "/factures"))
PAGES_SIZE = "L"
INVOICE_LINES_EACH = 25
PAGES_TARGET_LABEL = "p95 < 150 ms ; aucune erreur"


def _prepare_pages(database_url: str, meta: dict) -> None:
    """At size L, on the copy of aggregated.AGGREGATED (the closed campaign already in lots): the size's
    invoice lines (50 000 at L) as imported invoices of 25 lines, spread over the communes."""
    from sqlalchemy import insert

    from groupement import create_app
    from groupement.core.search_text import search_key
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
                        # a bulk insert runs no mapper event: the key the board's search reads
                        "search_key": search_key(f"F-2026-{n:05d}", f"Fournisseur {n % 40:02d}"),
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
    env = app_env(database_url)
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
            met = ours["requests"] > 0 and ours["p95_ms"] is not None and ours["p95_ms"] < 150 and not ours["errors"]
            entries.append(
                http_entry(
                    name,
                    f"{label}, {PAGES_SIZE}",
                    ours,
                    theirs,
                    target=PAGES_TARGET_LABEL,
                    met=met,
                    baseline="page pré-rendue (même gunicorn)",
                    server=server,
                    base_server=base_server,
                    page=page,
                    conflicts=None,
                )  # fmt: skip
            )
            log(
                f"  {name:<15} {label:<10} {ours['throughput']:7.1f} req/s  p95 {_ms(ours['p95_ms'])}  "
                f"erreurs {ours['errors']}  (réf. {theirs['throughput']:.1f} req/s)"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return entries
