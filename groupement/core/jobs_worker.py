"""`groupement worker`: a Huey consumer running the jobs, plus the reaper of stale jobs.

Several workers, on one machine or several, share the queue (JOBS_URL=redis://…); each claims a
job by compare-and-set in the database, so a job runs once whoever dequeues it."""

from __future__ import annotations

import logging
import threading

from flask import Flask
from huey.consumer import Consumer

from groupement.core.jobs_runner import reap_stale_jobs

log = logging.getLogger(__name__)


class Reaper(threading.Thread):
    """Every JOBS_REAP_SECONDS, hands stale running jobs back to the queue (or fails them)."""

    def __init__(self, app: Flask):
        super().__init__(daemon=True, name="jobs-reaper")
        self.app, self.stopped = app, threading.Event()
        self.every = max(float(app.config.get("JOBS_REAP_SECONDS", 30)), 0.5)

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                with self.app.app_context():
                    reap_stale_jobs()
            except Exception:
                log.exception("ramassage des travaux interrompus en échec (nouvel essai au prochain tour)")


def run_worker(app: Flask, workers: int = 2) -> None:
    """Blocks until SIGINT/SIGTERM: the consumer finishes its running tasks, then returns."""
    huey = app.extensions["jobs"].huey
    reaper = Reaper(app)
    reaper.start()
    consumer = Consumer(huey, workers=workers, worker_type="thread", periodic=True, initial_delay=0.1, max_delay=1.0)
    try:
        consumer.run()
    finally:
        reaper.stopped.set()
