"""Who a job acts as (the user who started it, checked again when it runs, so that the audit says
who), and the periodic purge of finished jobs after their retention."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from groupement.core.access import Actor, Role
from groupement.core.audit_log import AuditEvent
from groupement.core.jobs import INACTIVE_USER, PURGE_ACTION, ROLE_LOST, TARGET_LOST, Job, JobState, start_job
from groupement.core.jobs_runner import run_pending_jobs
from groupement.core.timeutil import utcnow
from groupement.core.transaction import unit_of_work
from groupement.extensions import db
from groupement.invoices.models import Invoice
from groupement.organisations.user_models import User
from tests import job_kinds
from tests.conftest import csrf_token_of


def user_of(app, world, principal: str) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == world.emails[principal]))


def start_as(app, world, user_id: int | None, marker: str, kind: str = job_kinds.SLOW, **params) -> int:
    with app.app_context(), unit_of_work():
        actor = Actor(user_id, Role.COORDINATOR, world.ids["capi"])
        return start_job(actor, kind, key=marker, params={"marker": marker, **params}, title="Essai").id


def job(app, job_id: int) -> Job:
    with app.app_context():
        row = db.session.get(Job, job_id)
        db.session.expunge(row)
        return row


def authors(app, marker: str) -> list[int | None]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.actor_id).where(AuditEvent.object_id == marker)))


def test_after_an_aggregation_job_the_audit_line_names_the_coordinator(app, client_as, world):
    client = client_as("coordinator")
    board = f"/campagnes/{world.ids['lots_campaign']}"
    token = csrf_token_of(client.get(board).get_data(as_text=True))
    started = client.post(f"{board}/agreger", data={"csrf_token": token, "confirm": "y"})
    assert started.status_code == 303 and "/travaux/" in started.location
    run_pending_jobs(app)
    assert job(app, int(started.location.rsplit("/", 1)[1])).state is JobState.DONE
    with app.app_context():
        line = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "campaign.aggregate", AuditEvent.object_id == str(world.ids["lots_campaign"]))
            .order_by(AuditEvent.id.desc())
        ).first()
        assert line.actor_id == user_of(app, world, "coordinator")  # not the system (None)


def test_a_job_acts_as_its_user_and_a_job_without_user_as_the_system(app, world):
    coordinator = user_of(app, world, "coordinator")
    mine, system = start_as(app, world, coordinator, "par-elle"), start_as(app, world, None, "par-le-systeme")
    run_pending_jobs(app)
    assert job(app, mine).state is job(app, system).state is JobState.DONE
    assert authors(app, "par-elle") == [coordinator] and authors(app, "par-le-systeme") == [None]


def test_a_job_whose_user_was_deactivated_meanwhile_fails_in_french_and_writes_nothing(app, client_as, world):
    coordinator = user_of(app, world, "coordinator")
    job_id = start_as(app, world, coordinator, "desactivee")
    with app.app_context():
        db.session.execute(update(User).where(User.id == coordinator).values(active=False))
        db.session.commit()
    run_pending_jobs(app)
    failed = job(app, job_id)
    assert (failed.state, failed.error, failed.active_key) == (JobState.FAILED, INACTIVE_USER, None)
    assert authors(app, "desactivee") == []
    # Another user of the coordinator retries it: it then runs as them.
    client = client_as("admin")
    page = client.get(f"/travaux/{job_id}").get_data(as_text=True)
    assert "Le compte qui a lancé ce travail est désactivé" in page.replace("&#39;", "'")
    retried = client.post(f"/travaux/{job_id}/relancer", data={"csrf_token": csrf_token_of(page)})
    run_pending_jobs(app)
    assert job(app, int(retried.location.rsplit("/", 1)[1])).state is JobState.DONE
    assert authors(app, "desactivee") == [user_of(app, world, "admin")]


def test_a_job_whose_user_lost_the_role_fails_in_french(app, world):
    coordinator = user_of(app, world, "coordinator")
    job_id = start_as(app, world, coordinator, "plus-le-role")
    with app.app_context():
        db.session.execute(
            update(User).where(User.id == coordinator).values(role=Role.AGENT, organisation_id=world.ids["commune_a"])
        )
        db.session.commit()
    run_pending_jobs(app)
    assert (job(app, job_id).state, job(app, job_id).error) == (JobState.FAILED, ROLE_LOST)
    assert authors(app, "plus-le-role") == []


def test_a_job_whose_target_left_the_user_s_scope_fails_in_french(app, client_as, world):
    client = client_as("accountant")
    token = csrf_token_of(client.get("/factures").get_data(as_text=True))
    started = client.post(f"/factures/{world.ids['invoice']}/etats", data={"csrf_token": token})
    with app.app_context():  # the invoice is now another coordinator's
        moved = {"coordinator_id": world.ids["other"], "number_key": "deplacee"}
        db.session.execute(update(Invoice).where(Invoice.id == world.ids["invoice"]).values(**moved))
        db.session.commit()
    run_pending_jobs(app)
    failed = job(app, int(started.location.rsplit("/", 1)[1]))
    assert (failed.state, failed.error, failed.result) == (JobState.FAILED, TARGET_LOST, None)


# --- retention ------------------------------------------------------------------------------------


def finished_job(app, world, marker: str, state: JobState, ended_days_ago: float | None) -> int:
    with app.app_context(), unit_of_work():
        now = utcnow()
        row = Job(
            kind=job_kinds.SLOW,
            key=marker,
            active_key=None if state in (JobState.DONE, JobState.FAILED) else f"{job_kinds.SLOW}:x:{marker}",
            organisation_id=world.ids["capi"],
            title=marker,
            params={},
            state=state,
            result=b"fichier" if state is JobState.DONE else None,
            created_at=now - timedelta(days=90),
            finished_at=None if ended_days_ago is None else now - timedelta(days=ended_days_ago),
        )
        db.session.add(row)
        db.session.flush()
        return row.id


def remaining(app) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(Job.id)))


def purge_now(app) -> None:
    """What a worker does every night: the engine's periodic task, in its own unit of work."""
    huey = app.extensions["jobs"].huey
    periodic = {task.__name__: task for task in huey._registry._periodic_tasks}
    with app.app_context():
        huey.execute(periodic[PURGE_ACTION]())


def test_finished_jobs_are_purged_after_the_retention_by_the_engine_s_schedule_audited_as_the_system(app, world):
    old_done = finished_job(app, world, "vieux", JobState.DONE, 31)
    old_failed = finished_job(app, world, "vieil-echec", JobState.FAILED, 45)
    recent = finished_job(app, world, "recent", JobState.DONE, 29)
    running = finished_job(app, world, "en-cours", JobState.RUNNING, None)
    waiting = finished_job(app, world, "en-attente", JobState.PENDING, None)
    purge_now(app)
    assert remaining(app) == {recent, running, waiting}
    with app.app_context():
        (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == PURGE_ACTION)).all()
        assert event.actor_id is None
        assert event.after["deleted"] == 2 and event.after["by_kind"] == {job_kinds.SLOW: 2}
        assert event.after["retention_days"] == 30
    purge_now(app)  # nothing more to delete: no second audit line
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == PURGE_ACTION))
            == 1
        )
    assert {old_done, old_failed}.isdisjoint(remaining(app))


def test_the_retention_is_configurable(app, world):
    week_old = finished_job(app, world, "semaine", JobState.DONE, 8)
    before = app.config["JOBS_RETENTION_DAYS"]
    app.config["JOBS_RETENTION_DAYS"] = 7
    try:
        purge_now(app)
    finally:
        app.config["JOBS_RETENTION_DAYS"] = before
    assert week_old not in remaining(app)
