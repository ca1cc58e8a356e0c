"""The engine under the jobs of core/jobs.py: Huey carries job ids to the workers.

Huey's store is a SQLite file in the instance folder by default (nothing to install: `make run`
starts a worker beside the web server), or Redis when JOBS_URL=redis://… (production: every web
server and worker on every machine shares it). The truth about a job stays in OUR database: a
worker claims it by compare-and-set (pending → running with its own claim token), runs the work
in one unit of work, and stores its end (done with the result, or failed with a French message)
only if it still holds the claim. Progress and heartbeats go to Huey's key/value store, outside
the work's transaction, so that a page sees them while the job's transaction is open (on SQLite
a second writer to the database would wait for the job's write lock). A reaper started by each
worker gives a running job whose heartbeat stopped (its worker was killed) back to the queue, up
to its max_attempts, then marks it failed: never run twice, never lost silently.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.storage import SqliteStorage
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from groupement.core.errors import ServiceError
from groupement.core.jobs import KINDS, PERIODIC, Job, JobResult, JobState, job_actor, take_to_enqueue, to_enqueue
from groupement.core.timeutil import utcnow
from groupement.core.transaction import unit_of_work
from groupement.extensions import db

log = logging.getLogger(__name__)

UNEXPECTED = (
    "Erreur inattendue pendant ce travail : rien n'a été enregistré. Relancez-le ; "
    "si l'erreur revient, signalez-la à l'administrateur."
)


def interrupted(attempts: int) -> str:
    return (
        f"Le travail a été interrompu {attempts} fois (arrêt du processus de travaux) : "
        "rien n'a été enregistré. Relancez-le."
    )


@dataclass
class JobQueue:
    """The Huey instance of an app and the one task it runs: `run_job(job_id)`."""

    huey: Huey
    run_task: Any

    def enqueue(self, job_id: int) -> None:
        self.run_task(job_id)

    def put(self, key: str, value) -> None:
        self.huey.put(key, value)

    def peek(self, key: str):
        return self.huey.get(key, peek=True)

    def pop(self, key: str) -> None:
        self.huey.get(key, peek=False)


class _WalNormalStorage(SqliteStorage):
    """Huey's SQLite store (WAL) with synchronous=NORMAL: a commit no longer waits for an fsync
    (about 7 ms each here, seven per job: enqueue, dequeue, heartbeats, progress). WAL with NORMAL
    never corrupts the file; a power loss may forget the last writes, which the reaper recovers
    (a pending job missing from the queue is queued again; the truth is in our database)."""

    def _create_connection(self):
        connection = super()._create_connection()
        connection.execute("pragma synchronous=NORMAL")
        return connection


class _SqliteHuey(SqliteHuey):
    storage_class = _WalNormalStorage


def make_huey(url: str, name: str, instance_path: str) -> Huey:
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, results=False, blocking=True)  # BRPOP: picked up at once
    if url.startswith("sqlite:///"):
        filename = url[len("sqlite:///") :]
    else:
        filename = os.path.join(instance_path, "jobs.sqlite3")
    return _SqliteHuey(name, filename=filename, results=False)


def init_jobs(app: Flask, url: str | None = None) -> JobQueue:
    """The app's queue (JOBS_URL, or the given url): app.extensions['jobs']."""
    url = app.config.get("JOBS_URL", "") if url is None else url
    huey = make_huey(url, app.config.get("JOBS_NAME", "groupement"), app.instance_path)

    @huey.task(name="run_job")
    def run_task(job_id: int) -> None:
        with app.app_context():
            run_job(job_id)

    for work in PERIODIC.values():
        _schedule(app, huey, work)

    queue = JobQueue(huey, run_task)
    app.extensions["jobs"] = queue
    return queue


def _schedule(app: Flask, huey: Huey, work) -> None:
    @huey.periodic_task(crontab(**work.cron), name=work.name)
    def periodic() -> None:
        with app.app_context(), huey.lock_task(work.name), unit_of_work():
            work.run()


def queue() -> JobQueue:
    return current_app.extensions["jobs"]


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session) -> None:
    ids = take_to_enqueue(session)
    for job_id in ids:
        try:
            queue().enqueue(job_id)
        except Exception:  # the store is down: the row is committed, the reaper queues it later
            log.exception("travail %s enregistré mais pas mis en file", job_id)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session) -> None:
    take_to_enqueue(session)


# --- the keys of the key/value store ---------------------------------------------------------


def progress_key(job_id: int) -> str:
    return f"job:{job_id}:progress"


def heartbeat_key(job_id: int, claim: str) -> str:
    return f"job:{job_id}:{claim}:heartbeat"


def progress_of(job: Job) -> tuple[int, int, str] | None:
    """(done, total, step) last reported by the running job, or None."""
    if job.state is not JobState.RUNNING:
        return None
    try:
        return queue().peek(progress_key(job.id))
    except Exception:  # the store is down: the page still shows the state read from the database
        log.exception("progression du travail %s illisible", job.id)
        return None


# --- running one job ---------------------------------------------------------------------------


class LostClaim(Exception):
    """The reaper gave the job to another worker meanwhile: this run's end must not be stored."""


def run_job(job_id: int) -> None:
    """Claim the job, run its work, store its end; in the app context of a worker (or of
    run_pending_jobs in tests)."""
    claim = _claim(job_id)
    if claim is None:
        return  # done, failed, or running elsewhere: nothing to do, never twice
    heartbeat = _Heartbeat(queue(), job_id, claim, current_app.config.get("JOBS_HEARTBEAT_SECONDS", 5))
    heartbeat.start()
    try:
        _work(job_id, claim)
    finally:
        heartbeat.stop()
        queue().pop(progress_key(job_id))


def _claim(job_id: int) -> str | None:
    claim = uuid.uuid4().hex
    with unit_of_work():
        taken = db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.PENDING)
            .values(state=JobState.RUNNING, claim=claim, attempts=Job.attempts + 1, started_at=utcnow())
        ).rowcount
    if taken != 1:
        return None
    queue().put(heartbeat_key(job_id, claim), time.time())
    return claim


def _work(job_id: int, claim: str) -> None:
    job = db.session.get(Job, job_id)
    kind = KINDS.get(job.kind) if job else None
    reporter = _Reporter(queue(), job_id)
    try:
        if kind is None:
            raise ServiceError("Ce type de travail n'existe plus dans cette version : relancez l'action.")
        params, actor = dict(job.params), job_actor(job)  # the user who started it, checked again
        db.session.rollback()  # the work begins its own transaction (IMMEDIATE on SQLite if it writes)
        if kind.writes:
            with unit_of_work():
                _finish(job_id, claim, kind.run(actor, params, reporter))
        else:
            # Reads only: the file is built in a read transaction (no write lock held on SQLite),
            # then its bytes are stored in a short writing one.
            result = kind.run(actor, params, reporter)
            db.session.rollback()
            with unit_of_work():
                _finish(job_id, claim, result)
    except LostClaim:
        log.warning("travail %s repris par un autre processus : ce résultat est abandonné", job_id)
    except ServiceError as error:
        _fail(job_id, claim, str(error))
    except Exception:
        log.exception("travail %s en échec", job_id)
        _fail(job_id, claim, UNEXPECTED)


def _finish(job_id: int, claim: str, result: JobResult) -> None:
    if result.store is not None:
        result.store()  # the writes that go with the file, in the same transaction as its end
    stored = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.claim == claim, Job.state == JobState.RUNNING)
        .values(
            state=JobState.DONE,
            active_key=None,
            claim=None,
            result=result.content,
            result_filename=result.filename,
            result_mimetype=result.mimetype,
            result_url=result.url,
            summary=result.summary,
            finished_at=utcnow(),
        )
    ).rowcount
    if stored != 1:
        raise LostClaim()


def _fail(job_id: int, claim: str, message: str) -> None:
    db.session.rollback()
    with unit_of_work():
        db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.claim == claim, Job.state == JobState.RUNNING)
            .values(state=JobState.FAILED, active_key=None, claim=None, error=message[:2000], finished_at=utcnow())
        )


class _Reporter:
    """The `progress(done, total, step)` handed to the work: at most five writes a second."""

    def __init__(self, job_queue: JobQueue, job_id: int):
        self.queue, self.key, self.last = job_queue, progress_key(job_id), 0.0

    def __call__(self, done: int, total: int, step: str = "") -> None:
        now = time.monotonic()
        if now - self.last < 0.2 and done < total:
            return
        self.last = now
        self.queue.put(self.key, (int(done), int(total), str(step)[:200]))


class _Heartbeat(threading.Thread):
    def __init__(self, job_queue: JobQueue, job_id: int, claim: str, every: float):
        super().__init__(daemon=True, name=f"job-{job_id}-heartbeat")
        self.queue, self.key, self.every = job_queue, heartbeat_key(job_id, claim), max(every, 0.2)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                self.queue.put(self.key, time.time())
            except Exception:
                log.exception("battement de cœur non écrit")

    def stop(self) -> None:
        self.stopped.set()
        self.queue.pop(self.key)


# --- the reaper ----------------------------------------------------------------------------------


def reap_stale_jobs(now: float | None = None) -> list[int]:
    """Running jobs whose heartbeat is older than JOBS_STALE_SECONDS: back to the queue (pending)
    while attempts remain, failed otherwise. Compare-and-set on the claim: two reapers, or a
    worker finishing at that moment, never both win. Returns the ids handled."""
    now = time.time() if now is None else now
    stale_after = current_app.config.get("JOBS_STALE_SECONDS", 60)
    handled: list[int] = []
    with unit_of_work():
        running = db.session.execute(
            select(Job.id, Job.claim, Job.attempts, Job.max_attempts, Job.started_at).where(
                Job.state == JobState.RUNNING
            )
        ).all()
        for job_id, claim, attempts, max_attempts, started_at in running:
            beat = queue().peek(heartbeat_key(job_id, claim)) if claim else None
            last = beat or (started_at.replace(tzinfo=UTC).timestamp() if started_at else 0)
            if now - last < stale_after:
                continue
            still = (Job.id == job_id, Job.claim == claim, Job.state == JobState.RUNNING)
            if attempts < max_attempts:
                changed = db.session.execute(
                    update(Job).where(*still).values(state=JobState.PENDING, claim=None)
                ).rowcount
                if changed:
                    to_enqueue(job_id)
            else:
                changed = db.session.execute(
                    update(Job)
                    .where(*still)
                    .values(
                        state=JobState.FAILED,
                        active_key=None,
                        claim=None,
                        error=interrupted(attempts),
                        finished_at=utcnow(),
                    )
                ).rowcount
            if changed:
                handled.append(job_id)
                log.warning("travail %s sans signe de vie depuis %.0f s : repris", job_id, now - last)
        # A job committed while the store was down never reached the queue: queued again, at most
        # once per JOBS_STALE_SECONDS (a copy in the queue is harmless: the claim runs it once).
        waiting = db.session.execute(select(Job.id, Job.created_at).where(Job.state == JobState.PENDING)).all()
        for job_id, created_at in waiting:
            created = created_at.replace(tzinfo=UTC).timestamp()
            if job_id in handled or now - created < stale_after:
                continue
            mark = f"job:{job_id}:{created:.0f}:requeued"
            if now - (queue().peek(mark) or 0) < stale_after:
                continue
            queue().put(mark, now)
            to_enqueue(job_id)
    return handled


def run_pending_jobs(app: Flask) -> int:
    """Run, in this process, every task waiting in the app's queue (tests, and `groupement worker
    --once`); returns how many ran."""
    count = 0
    with app.app_context():
        huey = queue().huey
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
            count += 1
    return count
