"""Job kinds for the tests of the engine (tests/e2e/test_jobs*.py), also imported by the worker
processes those tests start. Each writes an audit event, so that a test counts how many times
its work was committed, and who it acted as."""

from __future__ import annotations

import time

from groupement.core import audit
from groupement.core.access import COORDINATOR_SIDE_ROLES
from groupement.core.errors import ServiceError
from groupement.core.jobs import JobKind, JobResult, register

SLOW = "test.slow"
FAILING = "test.failing"


def _no_check(actor, params) -> None:
    return None


def slow(actor, params, progress) -> JobResult:
    steps, pause = int(params.get("steps", 3)), float(params.get("pause", 0.0))
    audit.record(actor.user_id, "test.job", "job-test", params.get("marker", "x"))  # who the job acted as
    for done in range(1, steps + 1):
        time.sleep(pause)
        progress(done, steps, f"étape {done}")
    return JobResult(content=b"fini", filename="resultat.txt", mimetype="text/plain")


def failing(actor, params, progress) -> JobResult:
    audit.record(None, "test.job", "job-test", params.get("marker", "x"))
    progress(1, 2, "écrit, puis refuse")
    raise ServiceError("Ligne 3, colonne « Quantité » : « douze » n'est pas un nombre ; rien n'a été enregistré.")


register(JobKind(name=SLOW, run=slow, roles=COORDINATOR_SIDE_ROLES, check=_no_check))
register(JobKind(name=FAILING, run=failing, roles=COORDINATOR_SIDE_ROLES, check=_no_check))
