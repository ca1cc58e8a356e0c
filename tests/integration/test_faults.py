"""Faults in the middle of a use case: nothing half-written, a clean French error."""

from __future__ import annotations

import errno
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from groupement.campaigns.rules import SubmissionStatus
from groupement.catalog import items as catalog_service
from groupement.catalog.items import import_catalog
from groupement.catalog.models import CatalogItem
from groupement.catalog.rules import CATALOG_COLUMNS
from groupement.core.audit_log import AuditEvent
from groupement.core.timeutil import utcnow
from groupement.invoices import importing as invoice_service
from groupement.invoices.importing import import_invoice
from groupement.invoices.models import Invoice, InvoiceLine
from tests import factories

# Real commits: what the code commits must be seen by other connections or threads.
pytestmark = pytest.mark.real_commits

UBL = Path(__file__).resolve().parents[1] / "fixtures" / "invoices" / "ubl21_en16931_fr.xml"
ROWS = [f"INF-PANNE-{n};Ordinateur portable {n};informatique;30213100-6;unité;849,00;20,00;1,50;2183" for n in range(3)]


def committed_count(database, model) -> int:
    """Seen from another connection: only what was committed."""
    with database.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def failing_on_call(number: int, original, error: Exception):
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(1)
        if len(calls) == number:
            raise error
        return original(*args, **kwargs)

    return wrapper


def test_an_exception_in_the_middle_of_a_catalog_import_writes_nothing(database, monkeypatch):
    content = ("\n".join([";".join(CATALOG_COLUMNS), *ROWS]) + "\n").encode()
    crash = OperationalError("INSERT INTO audit_event", {}, Exception("server closed the connection unexpectedly"))
    monkeypatch.setattr(catalog_service.audit, "record", failing_on_call(2, catalog_service.audit.record, crash))
    with pytest.raises(OperationalError):
        import_catalog([("catalogue.csv", content)], actor_id=None)
    # The first item was already flushed inside the transaction, never committed.
    assert committed_count(database, CatalogItem) == 0
    database.session.rollback()  # what the request or command teardown does
    assert database.session.scalar(select(func.count()).select_from(CatalogItem)) == 0
    assert database.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
    monkeypatch.undo()
    report = import_catalog([("catalogue.csv", content)], actor_id=None)
    assert report.created == 3  # the same file goes through once the fault is gone


def test_an_exception_after_the_invoice_is_flushed_leaves_no_invoice(database, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("panne au milieu de l'import")

    actor = factories.cli_actor()
    database.session.commit()
    monkeypatch.setattr(invoice_service.audit, "record", crash)
    with pytest.raises(RuntimeError):
        import_invoice(actor, UBL.name, UBL.read_bytes())
    assert committed_count(database, Invoice) == 0
    database.session.rollback()
    assert database.session.scalar(select(func.count()).select_from(Invoice)) == 0
    assert database.session.scalar(select(func.count()).select_from(InvoiceLine)) == 0
    monkeypatch.undo()
    assert import_invoice(actor, UBL.name, UBL.read_bytes()).id  # not taken for a duplicate afterwards


def test_a_full_disk_while_exporting_gives_a_french_error_and_exit_code_1(app, make, database, tmp_path, monkeypatch):
    capi = make.coordinator()
    group = make.groupement(capi)
    commune = make.organisation(name="Four")
    make.membership(group, commune)
    laptop = make.item()
    now = utcnow()
    campaign = make.campaign(group, [laptop], opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=1))
    make.submission(campaign, commune, {laptop: 4}, status=SubmissionStatus.VALIDATED)
    database.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["campaign", "aggregate", str(campaign.id)]).exit_code == 0

    def disk_full(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    result = runner.invoke(args=["campaign", "export", str(campaign.id), "--out", str(tmp_path / "pieces")])
    assert result.exit_code == 1
    assert result.output.startswith("Erreur : impossible d'écrire dans")
    assert "(disque plein)" in result.output and os.strerror(errno.ENOSPC) not in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # a handled error, not an unexpected exception


def test_a_full_disk_during_a_backup_leaves_no_partial_file(app, database, tmp_path, monkeypatch):
    from groupement.core import backup

    if database.engine.dialect.name != "sqlite":
        pytest.skip("le disque plein est simulé sur la copie SQLite")

    def disk_full(database_path, target):
        Path(target).write_text("début de copie")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(backup, "_sqlite_backup", disk_full)
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "sauvegarde.db")])
    assert result.exit_code == 1
    assert "Erreur : impossible d'écrire la sauvegarde" in result.output and "disque plein" in result.output
    assert list(tmp_path.iterdir()) == []
