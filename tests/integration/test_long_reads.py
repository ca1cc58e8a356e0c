"""A job that reads for minutes (the tender dossier at 1 000 communes) while the application writes.

Seen in Chromium at size L: in SQLite's default rollback journal the dossier's long read
transaction made the reaper's commit wait for it; while that commit waited, no page could even
read ("database is locked" after the busy timeout: a 500 on the job's progress), and the failed
commit left the driver's transaction open, so the job's own end could not begin. With the
write-ahead log a reader keeps its snapshot and a writer commits beside it; a failed commit is
rolled back by the unit of work."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from groupement.core.transaction import unit_of_work
from groupement.extensions import db
from groupement.organisations.models import Organisation

pytestmark = pytest.mark.real_commits
TIMEOUT = 120


def test_a_writer_commits_while_a_long_read_is_open_and_the_reader_keeps_its_snapshot(app, make, database):
    commune = make.organisation(name="Commune avant")
    database.session.commit()
    commune_id = commune.id
    reader_read, writer_done = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def reader() -> None:
        with app.app_context():
            try:
                seen["first"] = db.session.scalar(select(Organisation.name).where(Organisation.id == commune_id))
                reader_read.set()
                writer_done.wait(TIMEOUT)  # the read transaction stays open while the writer works
                seen["again"] = db.session.scalar(select(Organisation.name).where(Organisation.id == commune_id))
            finally:
                db.session.rollback()
                db.session.remove()

    def writer() -> None:
        with app.app_context():
            try:
                reader_read.wait(TIMEOUT)
                with unit_of_work():
                    db.session.execute(
                        update(Organisation).where(Organisation.id == commune_id).values(name="Commune après")
                    )
                seen["written"] = True
            except Exception as error:  # noqa: BLE001  (reported to the test)
                seen["error"] = error
            finally:
                writer_done.set()
                db.session.remove()

    threads = [threading.Thread(target=reader, daemon=True), threading.Thread(target=writer, daemon=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)
    assert "error" not in seen, seen.get("error")
    assert seen["written"] is True
    assert seen["first"] == "Commune avant"
    if database.engine.dialect.name == "sqlite":
        # SQLite's transaction is a snapshot: one state throughout, the one before the write.
        assert seen["again"] == "Commune avant"
    else:
        assert seen["again"] == "Commune après"  # PostgreSQL's READ COMMITTED: each statement anew
    database.session.rollback()
    assert database.session.scalar(select(Organisation.name).where(Organisation.id == commune_id)) == "Commune après"


def test_a_commit_that_fails_is_rolled_back_and_the_next_unit_of_work_does_not_carry_its_writes(
    app, make, database, monkeypatch
):
    commune = make.organisation(name="Nom d'origine")
    database.session.commit()
    commune_id = commune.id
    real_commit = db.session.commit
    failures = iter([OperationalError("COMMIT", {}, Exception("database is locked"))])

    def commit_failing_once() -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        real_commit()

    monkeypatch.setattr(db.session, "commit", commit_failing_once)
    with pytest.raises(OperationalError):
        with unit_of_work():
            db.session.execute(
                update(Organisation).where(Organisation.id == commune_id).values(name="Écrit puis perdu")
            )
    with unit_of_work():  # the next unit of work commits only its own writes
        db.session.execute(select(Organisation.id).where(Organisation.id == commune_id))
    monkeypatch.undo()
    database.session.rollback()
    assert database.session.scalar(select(Organisation.name).where(Organisation.id == commune_id)) == "Nom d'origine"


def test_every_sqlite_connection_logs_ahead_and_syncs_the_log_at_checkpoints(app, database):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's journal settings")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
