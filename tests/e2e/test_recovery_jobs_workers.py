"""The statements job (every commune's état de répartition of an invoice, in one zip) run by real
`groupement worker` processes, on the embedded Huey store and on Redis, on the test database
(SQLite or DATABASE_URL): its progress seen while it runs, a double start and a task queued twice
giving one run, a worker killed midway replaced without anything written twice, and a failure
in French with nothing written."""

from __future__ import annotations

import io
import os
import signal
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from groupement.core.access import Actor, Role
from groupement.core.archive import ArchivedDocument
from groupement.core.jobs import INACTIVE_USER, JobState
from groupement.core.jobs_runner import progress_key, queue
from groupement.core.transaction import unit_of_work
from groupement.extensions import db
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.importing import import_invoice
from groupement.invoices.splitting import split_invoice
from groupement.invoices.statement_file import KIND
from groupement.invoices.statements_job import start_statements
from groupement.organisations.user_models import User
from tests import factories
from tests.e2e.test_jobs_workers import job_of, start_worker, stop, store, wait_for  # noqa: F401  (store: fixture)
from tests.invoicing import approve_for_split

pytestmark = pytest.mark.real_commits

COMMUNES = 18
UBL = (Path(__file__).resolve().parents[1] / "fixtures" / "invoices" / "ubl21_en16931_fr.xml").read_bytes()


@pytest.fixture
def shared_invoice(app, empty_database):
    """An invoice split equally between COMMUNES communes; (invoice id, accountant's actor)."""
    with app.app_context():
        capi = factories.coordinator()
        group = factories.groupement(capi)
        communes = [factories.organisation(name=f"Commune {n:02d}") for n in range(COMMUNES)]
        for commune in communes:
            factories.membership(group, commune)
        accountant = factories.user(Role.ACCOUNTANT, capi)
        actor = Actor(accountant.id, Role.ACCOUNTANT, capi.id)
        invoice = import_invoice(actor, "facture.xml", UBL)
        approve_for_split(actor, invoice.id)
        split_invoice(actor, invoice.id, AllocationKey.EQUAL, [c.insee_code for c in communes])
        db.session.commit()
        return invoice.id, actor


def start(app, invoice_id: int, actor: Actor) -> int:
    with app.app_context(), unit_of_work():
        return start_statements(actor, invoice_id).id


def archived(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(ArchivedDocument).where(ArchivedDocument.kind == KIND)
        )


def progress(app, job_id: int) -> int:
    with app.app_context():
        return (queue().peek(progress_key(job_id)) or (0,))[0]


def test_a_worker_builds_the_statements_once_showing_its_progress(app, store, shared_invoice):  # noqa: F811
    invoice_id, actor = shared_invoice
    job_id = start(app, invoice_id, actor)
    assert start(app, invoice_id, actor) == job_id  # a double click: the same job
    with app.app_context():
        queue().enqueue(job_id)  # and its task queued twice (a late re-queue)
    worker = start_worker(app, store, "etats")
    try:
        seen = wait_for(lambda: progress(app, job_id), 90, "progression visible", store["tmp"])
        wait_for(lambda: job_of(app, job_id).state is JobState.DONE, 120, "états terminés", store["tmp"])
    finally:
        stop(worker)
    assert 1 <= seen <= COMMUNES
    job = job_of(app, job_id)
    assert job.attempts == 1 and job.result_mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(job.result)) as archive:
        assert len(archive.namelist()) == COMMUNES
    assert archived(app) == COMMUNES  # once each, whatever the task was queued twice
    with app.app_context():
        assert set(db.session.scalars(select(ArchivedDocument.created_by_id))) == {actor.user_id}


def test_a_worker_killed_midway_is_replaced_and_nothing_is_archived_twice(app, store, shared_invoice):  # noqa: F811
    invoice_id, actor = shared_invoice
    job_id = start(app, invoice_id, actor)
    first = start_worker(app, store, "premier")
    try:
        wait_for(lambda: progress(app, job_id) >= 2, 90, "progression visible", store["tmp"])
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        stop(first)
    if job_of(app, job_id).state is JobState.DONE:  # pragma: no cover  (a machine faster than the kill)
        pytest.skip("Le travail a fini avant l'arrêt du processus : rien à reprendre.")
    assert job_of(app, job_id).state is JobState.RUNNING
    assert archived(app) == 0  # the killed run kept nothing
    second = start_worker(app, store, "second")
    try:
        wait_for(lambda: job_of(app, job_id).state is JobState.DONE, 120, "travail repris et terminé", store["tmp"])
    finally:
        stop(second)
    assert job_of(app, job_id).attempts == 2
    assert archived(app) == COMMUNES  # never twice


def test_a_job_whose_user_was_deactivated_fails_in_french_on_the_worker(app, store, shared_invoice):  # noqa: F811
    invoice_id, actor = shared_invoice
    job_id = start(app, invoice_id, actor)
    with app.app_context():
        db.session.execute(update(User).where(User.id == actor.user_id).values(active=False))
        db.session.commit()
    worker = start_worker(app, store, "echec")
    try:
        wait_for(lambda: job_of(app, job_id).state is JobState.FAILED, 90, "travail en échec", store["tmp"])
    finally:
        stop(worker)
    job = job_of(app, job_id)
    assert (job.error, job.result, job.active_key) == (INACTIVE_USER, None, None)
    assert archived(app) == 0
