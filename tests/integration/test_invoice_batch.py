"""Batch intake: a zip (or folder) of invoices imported by a job, one line per file (lue, doublon,
refusée with its reasons); a refused file writes nothing; the report on the batch and in .xlsx."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from groupement.core.access import Role, system_actor
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import NotFound
from groupement.core.jobs import Job, JobState
from groupement.core.jobs_runner import run_pending_jobs
from groupement.invoices.batch import BatchRefused
from groupement.invoices.batch_job import get_batch, run_batch, start_batch
from groupement.invoices.batch_report import ReportLine
from groupement.invoices.models import Invoice, InvoiceBatch
from tests.integration.test_invoice_chorus_references import _csv, _world

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "invoices"


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _count(database, model) -> int:
    return database.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def chorus(make, database):
    return _world(make, database)


def _files(chorus) -> dict[str, bytes]:
    good = _csv(chorus, "F-LOT-1", "EJ-2026-0042", chorus.four.insee_code, "SERV-FOUR")
    return {
        "chorus/F-LOT-1.csv": good,
        "chorus/copie/F-LOT-1.csv": good,  # the same invoice twice in one batch
        "chorus/ubl.xml": (SAMPLES / "ubl21_en16931_fr.xml").read_bytes(),
        "chorus/faux-siret.csv": _csv(chorus, "F-LOT-2", "EJ-2026-0042", chorus.four.insee_code).replace(
            chorus.contract.supplier.siret.encode(), b"12345678901234"
        ),
        "chorus/nul.xml": b"<?xml version='1.0'?><Invoice>\x00\x00</Invoice>",
        "chorus/imbriquee.zip": _zip({"x.xml": b"<x/>"}),
        "chorus/vide.pdf": b"",
    }


def test_a_batch_reports_one_line_per_file_and_writes_only_the_read_ones(chorus, database):
    before = _count(database, AuditEvent)
    started = start_batch(chorus.accountant, "chorus.zip", _zip(_files(chorus)))
    assert started.files == 7 and started.job.state is JobState.PENDING
    steps = []
    result = run_batch(
        system_actor(chorus.accountant.organisation_id),
        {"batch_id": started.batch.id},
        lambda done, total, step: steps.append((done, total)),
    )
    assert steps[-1] == (7, 7)
    lines = {line.file: line for line in map(ReportLine.from_json, started.batch.report)}
    assert {name: line.label for name, line in lines.items()} == {
        "chorus/F-LOT-1.csv": "lue",
        "chorus/copie/F-LOT-1.csv": "doublon",
        "chorus/ubl.xml": "lue",
        "chorus/faux-siret.csv": "refusée",
        "chorus/nul.xml": "refusée",
        "chorus/imbriquee.zip": "refusée",
        "chorus/vide.pdf": "refusée",
    }
    assert "doublon" in lines["chorus/copie/F-LOT-1.csv"].reasons[0]
    assert any("fournisseur_siret" in reason for reason in lines["chorus/faux-siret.csv"].reasons)
    assert "archive imbriquée" in lines["chorus/imbriquee.zip"].reasons[0]
    assert lines["chorus/F-LOT-1.csv"].total_ttc == str(2 * chorus.price * 12 / 10)
    # Only the two read invoices are written (the refused files left nothing, not even an audit line).
    numbers = set(database.session.scalars(select(Invoice.number)))
    assert numbers == {"F-LOT-1", lines["chorus/ubl.xml"].number}
    imports = database.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "invoice.import")
    )
    assert imports == 2 and _count(database, AuditEvent) - before == 2
    # The report as .xlsx: one row per file, with its reasons.
    sheet = load_workbook(io.BytesIO(result.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 7 and {row[1] for row in rows} == {"lue", "doublon", "refusée"}
    assert result.url == f"/factures/lots/{started.batch.id}"


def test_an_unsafe_archive_is_refused_before_anything_is_stored(chorus, database):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("x")
        info.filename = "../../evil.xml"
        archive.writestr(info, b"<x/>")
    with pytest.raises(BatchRefused) as refused:
        start_batch(chorus.accountant, "evil.zip", buffer.getvalue())
    assert "evil.zip" in refused.value.reasons[0] and "remonte" in refused.value.reasons[0]
    assert _count(database, InvoiceBatch) == 0 and _count(database, Job) == 0


def test_another_coordinator_and_a_commune_never_reach_the_batch(make, database, chorus):
    started = start_batch(chorus.accountant, "chorus.zip", _zip({"a.xml": b"<x/>"}))
    other = make.coordinator(name="Autre", siren="200000172", siret="20000017200019")
    with pytest.raises(NotFound):
        get_batch(system_actor(other.id), started.batch.id)
    agent = make.user(Role.AGENT, chorus.four).actor
    with pytest.raises(NotFound):
        get_batch(agent, started.batch.id)


def test_the_cli_imports_a_folder_as_a_job_and_prints_the_report(app, chorus, database, tmp_path):
    folder = tmp_path / "telechargement"
    folder.mkdir()
    (folder / "F-LOT-1.csv").write_bytes(_csv(chorus, "F-LOT-1", chorus.order_four.number, chorus.four.insee_code))
    (folder / "casse.xml").write_bytes(b"<pas une facture")
    database.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["invoice", "import-batch", str(folder), "--attendre", "--coordinateur", "243800604"])
    assert result.exit_code == 0, result.output
    assert "[lue] F-LOT-1.csv : n° F-LOT-1" in result.output
    assert "[refusée] casse.xml" in result.output
    assert "Rapport : 1 lue(s), 0 doublon(s), 1 refusée(s)." in result.output
    run_pending_jobs(app)  # nothing left
    missing = runner.invoke(args=["invoice", "import-batch", str(tmp_path / "absent"), "--coordinateur", "243800604"])
    assert missing.exit_code != 0 and "impossible de lire" in missing.output
