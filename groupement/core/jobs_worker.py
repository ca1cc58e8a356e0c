"""`groupement worker`: a Huey consumer running the jobs, plus the reaper of stale jobs.

Several workers, on one machine or several, share the queue (JOBS_URL=redis://…); each claims a
job by compare-and-set in the database, so a job runs once whoever dequeues it."""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app
from huey.consumer import Consumer
from sqlalchemy import select

from groupement.core.jobs_runner import reap_stale_jobs

log = logging.getLogger(__name__)


class Reaper(threading.Thread):
    """Every JOBS_REAP_SECONDS, hands stale running jobs back to the queue (or fails them)."""

    def __init__(self, app: Flask):
        super().__init__(daemon=True, name="jobs-reaper")
        self.app, self.stopped = app, threading.Event()
        self.every = max(float(app.config.get("JOBS_REAP_SECONDS", 30)), 0.5)  # float-ok: seconds, not money

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                with self.app.app_context():
                    reap_stale_jobs()
            except Exception:
                log.exception("ramassage des travaux interrompus en échec (nouvel essai au prochain tour)")


# An idle worker polls the SQLite store every POLL_FIRST seconds at first, then less often up to
# POLL_MAX; on Redis the store blocks on the queue (BRPOP) and a job is picked up at once.
POLL_FIRST, POLL_MAX = 0.02, 1.0


def worker_consumer(huey, workers: int = 2, periodic: bool = True) -> Consumer:
    return Consumer(
        huey, workers=workers, worker_type="thread", periodic=periodic, initial_delay=POLL_FIRST, max_delay=POLL_MAX
    )


def enqueue_and_wait(actor, kind: str, params: dict, timeout: float = 600.0) -> None:
    """Start a job of `kind` as its POST would, let a real worker (a consumer thread on the app's
    store) run it, return once it is done; raise if it failed or took more than `timeout` seconds.
    For the benchmarks (job overhead against the same function called in-process).

    The caller sleeps until the worker signals a finished task (Huey's `complete`/`error`
    signals), then reads the job's state once: polling the database every few milliseconds took
    the GIL from the worker thread doing the work (the work ran ~20 % slower beside it)."""
    from huey.signals import SIGNAL_COMPLETE, SIGNAL_ERROR

    from groupement.core.jobs import Job, JobState, start_job
    from groupement.core.transaction import unit_of_work
    from groupement.extensions import db

    huey = current_app.extensions["jobs"].huey
    finished = threading.Event()

    def task_finished(signal, task, *args, **kwargs) -> None:
        finished.set()

    huey.signal(SIGNAL_COMPLETE, SIGNAL_ERROR)(task_finished)
    consumer = worker_consumer(huey, workers=1, periodic=False)
    consumer.start()
    try:
        with unit_of_work():
            job_id = start_job(actor, kind, key=f"bench-{time.time_ns()}", params=dict(params), title=kind).id
        deadline = time.monotonic() + timeout
        while True:
            # A bounded wait: a task that ended without a signal (the store down) is still seen.
            finished.wait(min(1.0, max(deadline - time.monotonic(), 0.0)))
            finished.clear()
            state, error = db.session.execute(select(Job.state, Job.error).where(Job.id == job_id)).one()
            db.session.rollback()
            if state is JobState.DONE:
                return
            if state is JobState.FAILED:
                raise RuntimeError(f"la tâche {job_id} a échoué : {error}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"la tâche {job_id} n'a pas fini en {timeout:.0f} s")
    finally:
        consumer.stop(graceful=True)
        huey.disconnect_signal(task_finished, SIGNAL_COMPLETE, SIGNAL_ERROR)


def run_worker(app: Flask, workers: int = 2) -> None:
    """Blocks until SIGINT/SIGTERM: the consumer finishes its running tasks, then returns."""
    huey = app.extensions["jobs"].huey
    reaper = Reaper(app)
    reaper.start()
    consumer = worker_consumer(huey, workers)
    try:
        consumer.run()
    finally:
        reaper.stopped.set()
