"""enqueue_and_wait (the benchmarks' job scenario): a real consumer thread on the app's store runs
the job and the caller wakes on the worker's signal; on the embedded SQLite store and on Redis
(db 15, skipped when Redis does not answer), on the test database (SQLite or DATABASE_URL)."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import func, select

from groupement.core.access import Actor, Role
from groupement.core.audit_log import AuditEvent
from groupement.core.jobs import Job, JobState
from groupement.core.jobs_runner import init_jobs
from groupement.core.jobs_worker import enqueue_and_wait
from groupement.extensions import db
from tests import factories, job_kinds

pytestmark = pytest.mark.real_commits

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "redis"])
def store(request, app, tmp_path, empty_database):
    if request.param == "redis" and not _redis_up():
        pytest.skip("Redis 127.0.0.1:6379 ne répond pas : les travaux sur Redis ne sont pas testés.")
    url = REDIS_URL if request.param == "redis" else f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    before_queue, before_name = app.extensions["jobs"], app.config["JOBS_NAME"]
    app.config["JOBS_NAME"] = f"groupement-test-{uuid.uuid4().hex[:8]}"
    swapped = init_jobs(app, url)
    try:
        yield swapped
    finally:
        swapped.huey.flush()
        app.extensions["jobs"], app.config["JOBS_NAME"] = before_queue, before_name


def _coordinator() -> Actor:
    capi = factories.coordinator()
    db.session.commit()
    return Actor(None, Role.COORDINATOR, capi.id)


def _audited(marker: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.object_id == marker))


def test_the_caller_returns_once_the_worker_has_run_the_job(app, store):
    with app.app_context():
        actor = _coordinator()
        started = time.monotonic()
        enqueue_and_wait(actor, job_kinds.SLOW, {"marker": "attendu", "steps": 2, "pause": 0.3}, timeout=60)
        waited = time.monotonic() - started
        job = db.session.scalars(select(Job).where(Job.kind == job_kinds.SLOW)).one()
        assert (job.state, job.result, job.attempts) == (JobState.DONE, b"fini", 1)
        assert _audited("attendu") == 1  # the work committed once, by the worker
        assert waited >= 0.6  # it did wait for the two pauses of the work


def test_a_failed_job_raises_with_its_french_message(app, store):
    with app.app_context():
        actor = _coordinator()
        with pytest.raises(RuntimeError, match="« douze » n'est pas un nombre"):
            enqueue_and_wait(actor, job_kinds.FAILING, {"marker": "refus"}, timeout=60)
        assert _audited("refus") == 0  # rolled back


def test_the_embedded_store_commits_without_waiting_for_a_disk_flush(app, tmp_path):
    before = app.extensions["jobs"]
    queue = init_jobs(app, f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    try:
        with queue.huey.storage.db() as cursor:
            journal = cursor.execute("pragma journal_mode").fetchone()[0]
            synchronous = cursor.execute("pragma synchronous").fetchone()[0]
        assert (journal, synchronous) == ("wal", 1)  # 1: NORMAL (2 would be FULL, an fsync per commit)
    finally:
        app.extensions["jobs"] = before
