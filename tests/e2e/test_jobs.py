"""The job pages, in process: a queued job run by run_pending_jobs() (the real workers are in
test_jobs_workers.py). Scope, the failure in French with nothing written, the retry, the page
without JavaScript, « Mes travaux »."""

from __future__ import annotations

import re
import time

from sqlalchemy import func, select

from groupement.core.access import Actor, Role
from groupement.core.audit_log import AuditEvent
from groupement.core.jobs import Job, JobState, start_job
from groupement.core.jobs_runner import heartbeat_key, interrupted, queue, reap_stale_jobs, run_pending_jobs
from groupement.core.transaction import unit_of_work
from groupement.extensions import db
from tests import job_kinds
from tests.conftest import csrf_token_of


def _start(app, world, kind: str, **params) -> int:
    with app.app_context(), unit_of_work():
        user = world.ids.get("coordinator_user")
        actor = Actor(user, Role.COORDINATOR, world.ids["capi"])
        return start_job(actor, kind, key=params.get("marker", "k"), params=params, title="Essai").id


def _written(app, marker: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.object_id == marker))


def _job(app, job_id: int) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def start_dossier(client, world):
    page = client.get(f"/campagnes/{world.ids['lots_campaign']}/lots").get_data(as_text=True)
    return client.post(f"/campagnes/{world.ids['lots_campaign']}/dossier", data={"csrf_token": csrf_token_of(page)})


def test_the_dossier_job_page_refreshes_without_javascript_then_offers_the_zip(app, client_as, world):
    client = client_as("coordinator")
    started = start_dossier(client, world)
    assert started.status_code == 303
    page = client.get(started.location).get_data(as_text=True)
    head = page.split("</head>")[0]
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in head
    assert "<progress" in page and "En attente" in page
    assert re.search(r'<script src="/static/jobs\.js[^"]*" defer></script>', page)
    assert "<script>" not in page  # the CSP forbids inline scripts
    status = client.get(started.location + "/etat.json").get_json()
    assert status["state"] == "pending" and status["active"] is True
    assert client.get(started.location + "/resultat").status_code == 404  # not ready yet

    assert run_pending_jobs(app) >= 1
    done = client.get(started.location).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in done and "jobs.js" not in done
    assert "Terminé" in done and "Télécharger dossier-" in done
    download = client.get(started.location + "/resultat")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert download.data[:2] == b"PK"
    mine = client.get("/travaux").get_data(as_text=True)
    assert "Dossier de consultation" in mine and "Terminé" in mine


def test_a_double_click_starts_one_job(app, client_as, world):
    client = client_as("coordinator")
    first, second = start_dossier(client, world), start_dossier(client, world)
    assert first.location == second.location
    run_pending_jobs(app)
    third = start_dossier(client, world)  # the first is over: a new dossier of the new figures
    assert third.location != first.location


def test_another_coordinator_finds_neither_the_job_nor_its_result(app, client_as, world):
    started = start_dossier(client_as("coordinator"), world)
    run_pending_jobs(app)
    for principal in ("other_coordinator", "other_admin", "agent_a"):
        client = client_as(principal)
        for suffix in ("", "/etat.json", "/resultat"):
            assert client.get(started.location + suffix).status_code == 404, (principal, suffix)
        token = csrf_token_of(client.get("/").get_data(as_text=True))
        assert client.post(started.location + "/relancer", data={"csrf_token": token}).status_code == 404
        assert "Dossier de consultation" not in client.get("/travaux").get_data(as_text=True)
    # The accountant of the same coordinator may see the dossier of its campaign.
    assert client_as("accountant").get(started.location + "/resultat").status_code == 200


def test_a_failing_job_shows_its_french_reason_writes_nothing_and_can_be_retried(app, client_as, world):
    job_id = _start(app, world, job_kinds.FAILING, marker="echec-1")
    run_pending_jobs(app)
    job = _job(app, job_id)
    assert job.state is JobState.FAILED and job.active_key is None
    assert _written(app, "echec-1") == 0  # the audit event the work wrote was rolled back
    client = client_as("coordinator")
    page = client.get(f"/travaux/{job_id}").get_data(as_text=True)
    assert "Échec : Ligne 3, colonne « Quantité » : « douze » n&#39;est pas un nombre" in page
    token = csrf_token_of(page)
    retried = client.post(f"/travaux/{job_id}/relancer", data={"csrf_token": token})
    assert retried.status_code == 303 and retried.location != f"/travaux/{job_id}"
    assert _job(app, int(retried.location.rsplit("/", 1)[1])).state is JobState.PENDING


def test_a_job_run_once_is_not_run_again_when_its_task_comes_twice(app, world):
    job_id = _start(app, world, job_kinds.SLOW, marker="deux-fois")
    with app.app_context():
        queue().enqueue(job_id)  # the same id queued a second time (a reaper's late re-queue)
    run_pending_jobs(app)
    assert _job(app, job_id).state is JobState.DONE
    assert _written(app, "deux-fois") == 1


def test_the_reaper_gives_a_silent_job_back_then_fails_it_after_its_attempts(app, world):
    job_id = _start(app, world, job_kinds.SLOW, marker="muet")
    with app.app_context(), unit_of_work():
        db.session.get(Job, job_id).state = JobState.RUNNING
        db.session.get(Job, job_id).claim = "mort"
        db.session.get(Job, job_id).attempts = 1
    with app.app_context():
        queue().put(heartbeat_key(job_id, "mort"), time.time())
        assert reap_stale_jobs() == []  # alive a moment ago
        assert reap_stale_jobs(now=time.time() + 3600) == [job_id]
    assert _job(app, job_id).state is JobState.PENDING
    with app.app_context(), unit_of_work():
        job = db.session.get(Job, job_id)
        job.state, job.claim, job.attempts = JobState.RUNNING, "mort-encore", job.max_attempts
    with app.app_context():
        assert reap_stale_jobs(now=time.time() + 3600) == [job_id]
    job = _job(app, job_id)
    assert job.state is JobState.FAILED and job.error == interrupted(job.max_attempts)
    assert _written(app, "muet") == 0
