"""Real workers: `groupement worker` processes against the embedded Huey store (a SQLite file)
and against Redis 127.0.0.1:6379 db 1 (skipped when Redis does not answer), on the test
database (SQLite or DATABASE_URL). A worker killed (SIGKILL) mid-job: another finishes it, once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from groupement.core.access import Actor, Role
from groupement.core.audit_log import AuditEvent
from groupement.core.jobs import Job, JobState, start_job
from groupement.core.jobs_runner import init_jobs, progress_key, queue
from groupement.core.transaction import unit_of_work
from groupement.extensions import db
from tests import factories, job_kinds
from tests.conftest import csrf_token_of, log_in

pytestmark = pytest.mark.real_commits

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/1"


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "redis"])
def store(request, app, tmp_path, empty_database):
    """The app's queue swapped for a store of this test's own, shared with the workers it starts."""
    if request.param == "redis" and not _redis_up():
        pytest.skip("Redis 127.0.0.1:6379 ne répond pas : les travaux sur Redis ne sont pas testés.")
    url = REDIS_URL if request.param == "redis" else f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    name = f"groupement-test-{uuid.uuid4().hex[:8]}"
    before_queue, before_name = app.extensions["jobs"], app.config["JOBS_NAME"]
    app.config["JOBS_NAME"] = name
    swapped = init_jobs(app, url)
    try:
        yield {"url": url, "name": name, "tmp": tmp_path}
    finally:
        swapped.huey.flush()
        app.extensions["jobs"], app.config["JOBS_NAME"] = before_queue, before_name


def start_worker(app, store, label: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "GROUPEMENT_ENV": "testing",
        "SECRET_KEY": "clef-de-test",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "JOBS_URL": store["url"],
        "JOBS_NAME": store["name"],
        "JOBS_HEARTBEAT_SECONDS": "1",
        "JOBS_STALE_SECONDS": "3",
        "JOBS_REAP_SECONDS": "1",
    }
    log = open(store["tmp"] / f"worker-{label}.log", "wb")  # noqa: SIM115  (closed with the process)
    code = "import tests.job_kinds; from groupement.cli import main; main(['worker', '--workers', '1'])"
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start(app, coordinator_id: int, kind: str, **params) -> int:
    with app.app_context(), unit_of_work():
        actor = Actor(None, Role.COORDINATOR, coordinator_id)
        return start_job(actor, kind, key=params["marker"], params=params, title="Essai").id


def job_of(app, job_id: int) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def written(app, marker: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.object_id == marker))


def wait_for(condition, seconds: float, what: str, logs: Path):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    tails = "\n".join(path.read_text(errors="replace")[-3000:] for path in sorted(logs.glob("worker-*.log")))
    pytest.fail(f"{what} : pas avant {seconds} s\n{tails}")


@pytest.fixture
def coordinator(app):
    with app.app_context():
        capi = factories.coordinator()
        db.session.commit()
        return capi.id


def test_a_worker_runs_a_job_and_its_result_is_kept(app, store, coordinator):
    job_id = start(app, coordinator, job_kinds.SLOW, marker="simple", steps=3, pause=0.05)
    worker = start_worker(app, store, "simple")
    try:
        wait_for(lambda: job_of(app, job_id).state is JobState.DONE, 60, "travail terminé", store["tmp"])
    finally:
        stop(worker)
    job = job_of(app, job_id)
    assert (job.result, job.result_filename, job.attempts, job.active_key) == (b"fini", "resultat.txt", 1, None)
    assert written(app, "simple") == 1


def test_a_worker_killed_mid_job_is_replaced_and_the_job_finishes_once(app, store, coordinator):
    job_id = start(app, coordinator, job_kinds.SLOW, marker="tue", steps=12, pause=0.4)
    first = start_worker(app, store, "first")
    try:
        # Progress is seen while the job's transaction is open (outside it, in Huey's store).
        with app.app_context():
            wait_for(
                lambda: (queue().peek(progress_key(job_id)) or (0,))[0] >= 2, 60, "progression visible", store["tmp"]
            )
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        stop(first)
    assert job_of(app, job_id).state is JobState.RUNNING
    assert written(app, "tue") == 0  # the killed run's transaction never committed
    second = start_worker(app, store, "second")
    try:
        wait_for(lambda: job_of(app, job_id).state is JobState.DONE, 90, "travail repris et terminé", store["tmp"])
    finally:
        stop(second)
    job = job_of(app, job_id)
    assert job.attempts == 2 and job.result == b"fini"
    assert written(app, "tue") == 1  # never twice


def test_two_simultaneous_posts_start_one_dossier(app, world):
    path = f"/campagnes/{world.ids['lots_campaign']}/dossier"
    clients = []
    for _ in range(2):
        client = app.test_client()
        log_in(client, world.emails["coordinator"])
        token = csrf_token_of(client.get(f"/campagnes/{world.ids['lots_campaign']}/lots").get_data(as_text=True))
        clients.append((client, token))
    barrier, answers = threading.Barrier(2), []

    def click(client, token):
        barrier.wait()
        answers.append(client.post(path, data={"csrf_token": token}))

    threads = [threading.Thread(target=click, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [answer.status_code for answer in answers] == [303, 303]
    assert answers[0].location == answers[1].location
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 1
