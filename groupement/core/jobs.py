"""Background jobs: the `Job` row, the registry of job kinds, starting a job and reading it.

A feature registers a kind (`register(JobKind(...))`): a function `run(actor, params, progress)` that
does the work inside the job's one unit of work and returns a `JobResult` (a file to download,
or a link to the page that shows what was done). A route starts a job with `start_job()` (one
POST, idempotent: a second start with the same key while the first is waiting or running gives
the first job back) and sends the user to `/travaux/<id>`. The engine that runs them (Huey, a
worker process, the reaper) is in jobs_runner.py; docs/architecture.md §3 tells how to add one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from flask import current_app
from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from groupement.core import audit
from groupement.core.access import Actor, Role, system_actor
from groupement.core.errors import NotFound, ServiceError
from groupement.core.timeutil import utcnow
from groupement.core.types import enum_column
from groupement.extensions import db


class JobState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]

    @property
    def active(self) -> bool:
        return self in (JobState.PENDING, JobState.RUNNING)


STATE_LABELS = {
    JobState.PENDING: "En attente",
    JobState.RUNNING: "En cours",
    JobState.DONE: "Terminé",
    JobState.FAILED: "Échoué",
}

# How many times a job whose worker died is started again before it is marked failed.
DEFAULT_MAX_ATTEMPTS = 3


class Job(db.Model):
    """One long action: who started it for which organisation, its state, its result.

    `active_key` is the idempotency key while the job waits or runs, and NULL once it is over:
    its UNIQUE constraint lets one active job per key exist (NULLs never collide)."""

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(200))
    active_key: Mapped[str | None] = mapped_column(String(270), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[JobState] = mapped_column(enum_column(JobState), default=JobState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=DEFAULT_MAX_ATTEMPTS)
    claim: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[bytes | None] = mapped_column(LargeBinary)
    result_filename: Mapped[str | None] = mapped_column(String(200))
    result_mimetype: Mapped[str | None] = mapped_column(String(120))
    result_url: Mapped[str | None] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


@dataclass(frozen=True)
class JobResult:
    """What a finished job leaves: a file (kept in the database, so that any app server serves
    it) and/or the address of the page that shows what it did."""

    content: bytes | None = None
    filename: str | None = None
    mimetype: str | None = None
    url: str | None = None
    summary: str | None = None
    """A French sentence shown on the job page: what was done."""
    store: Callable[[], None] | None = None
    """For a read-only kind (`writes=False`): the writes that go with the file it built (the archive
    of the documents it produced), run in the short transaction that stores the result, so that
    the file and those writes are kept together or not at all. Plain data only: the objects the
    work read are gone by then."""


Progress = Callable[[int, int, str], None]
"""progress(done, total, step): called by the work as it goes; shown on the job page."""


@dataclass(frozen=True)
class JobKind:
    """A kind of job a feature registers.

    run(actor, params, progress) -> JobResult does the work inside the job's unit of work, as the
    user who started the job (job_actor: still active, still of the organisation, still of one of
    the kind's roles, the target still in their scope), or the organisation's system actor when
    no user started it (the CLI): it flushes, never commits; a ServiceError is shown in French and
    everything it wrote is rolled back. check(actor, params) raises NotFound when the actor may not
    see the job's target (the same scope as the page that starts it). `writes=False` for a job
    that only reads (a file to build): on SQLite it then does not hold the write lock while it
    works. result_page(params), when given, is the page that shows what the job did (its link on
    the job page, labelled result_page_label, beside the download)."""

    name: str
    run: Callable[[Actor, dict[str, Any], Progress], JobResult]
    roles: frozenset[Role]
    check: Callable[[Actor, dict[str, Any]], None]
    writes: bool = True
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    back_url: Callable[[dict[str, Any]], str] | None = field(default=None)
    result_page: Callable[[dict[str, Any]], str] | None = field(default=None)
    result_page_label: str = "Voir le résultat"


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    KINDS[kind.name] = kind
    return kind


def kind_of(job: Job) -> JobKind:
    return KINDS[job.kind]


def result_page_of(job: Job) -> tuple[str, str] | None:
    """(label, url) of the page showing what a finished job did: its kind's result page, else the
    url its result left; None while it runs or when it failed."""
    if job.state is not JobState.DONE:
        return None
    kind = KINDS.get(job.kind)
    if kind is not None and kind.result_page is not None:
        return kind.result_page_label, kind.result_page(job.params)
    if job.result_url:
        return (kind.result_page_label if kind else "Voir le résultat"), job.result_url
    return None


def starts_jobs(role: Role) -> bool:
    """Whether some registered kind of job may be started by this role (« Mes travaux » in its menu)."""
    return any(role in kind.roles for kind in KINDS.values())


def active_key(kind: str, organisation_id: int, key: str) -> str:
    return f"{kind}:{organisation_id}:{key}"


def start_job(actor: Actor, kind: str, key: str, params: dict[str, Any], title: str) -> Job:
    """The job of this kind and key for the actor's organisation: the one waiting or running, or
    a new one (queued when the unit of work commits). Two starts at once give one job: the
    UNIQUE active_key refuses the second insert, whose savepoint rolls back, and the first is read."""
    job_kind = KINDS[kind]
    job_kind.check(actor, params)
    token = active_key(kind, actor.organisation_id, key)
    existing = _active(token)
    if existing is not None:
        return existing
    job = Job(
        kind=kind,
        key=key,
        active_key=token,
        organisation_id=actor.organisation_id,
        user_id=actor.user_id,
        title=title,
        params=params,
        state=JobState.PENDING,
        attempts=0,
        max_attempts=job_kind.max_attempts,
        created_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(job)
            db.session.flush()
    except IntegrityError:
        existing = _active(token)
        if existing is None:  # the other one finished between the two reads: start afresh
            raise
        return existing
    to_enqueue(job.id)
    return job


def restart_job(actor: Actor, job_id: int) -> Job:
    """A failed job started again with the same parameters (the retry button)."""
    job = visible_job(actor, job_id)
    if job.state is not JobState.FAILED:
        return job
    return start_job(actor, job.kind, job.key, dict(job.params), job.title)


def _active(token: str) -> Job | None:
    return db.session.scalar(select(Job).where(Job.active_key == token))


def visible_job(actor: Actor, job_id: int) -> Job:
    """The job if the actor may see it: same organisation, a role of its kind, and the kind's own
    scope check of its target; NotFound (404) otherwise, whoever started it."""
    job = db.session.get(Job, job_id)
    if job is None or job.organisation_id != actor.organisation_id or job.kind not in KINDS:
        raise NotFound("Travail introuvable.")
    kind = KINDS[job.kind]
    if actor.role not in kind.roles:
        raise NotFound("Travail introuvable.")
    kind.check(actor, job.params)
    return job


def jobs_of(actor: Actor, limit: int = 50) -> list[Job]:
    """« Mes travaux »: the jobs the user started, newest first."""
    if actor.user_id is None:
        return []
    statement = (
        select(Job)
        .where(Job.user_id == actor.user_id, Job.organisation_id == actor.organisation_id)
        .order_by(Job.created_at.desc(), Job.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(statement))


# --- who a job acts as ---------------------------------------------------------------------------

UserActor = Callable[[int], Actor | None]
"""user id -> the user's actor now (role, organisation), or None for an account deactivated or gone."""

_USER_ACTOR: list[UserActor] = []


def register_user_actor(lookup: UserActor) -> None:
    """organisations/ tells the engine how to read a user's account (core imports no feature)."""
    _USER_ACTOR[:] = [lookup]


INACTIVE_USER = (
    "Le compte qui a lancé ce travail est désactivé : rien n'a été fait. "
    "Un utilisateur actif de l'organisation peut le relancer."
)
ROLE_LOST = (
    "Le compte qui a lancé ce travail n'a plus le rôle qui le permet : rien n'a été fait. "
    "Un utilisateur qui a ce droit peut le relancer."
)
TARGET_LOST = "Ce que vise ce travail n'est plus accessible au compte qui l'a lancé : rien n'a été fait."


def job_actor(job: Job) -> Actor:
    """Who the job's work acts as, so that the audit trail names them: the user who started it,
    checked again now (the account active, still of the job's organisation, with one of the kind's
    roles, the target still in their scope), else a French ServiceError that fails the job. A job
    no user started (the CLI) acts as its organisation's system actor."""
    if job.user_id is None:
        return system_actor(job.organisation_id)
    kind = KINDS[job.kind]
    actor = _USER_ACTOR[0](job.user_id) if _USER_ACTOR else None
    if actor is None:
        raise ServiceError(INACTIVE_USER)
    if actor.organisation_id != job.organisation_id or actor.role not in kind.roles:
        raise ServiceError(ROLE_LOST)
    try:
        kind.check(actor, dict(job.params))
    except NotFound:
        raise ServiceError(TARGET_LOST) from None
    return actor


# --- queueing once committed: a worker must find the row it is given -------------------------

_PENDING_KEY = "jobs_to_enqueue"


def to_enqueue(job_id: int) -> None:
    db.session.info.setdefault(_PENDING_KEY, []).append(job_id)


def take_to_enqueue(session) -> list[int]:
    return session.info.pop(_PENDING_KEY, [])


# --- periodic work, scheduled by the engine (no cron line) -------------------------------------


@dataclass(frozen=True)
class PeriodicWork:
    """Work the workers run on a schedule: `cron` as Huey's crontab() arguments (Paris time is
    not assumed: the workers' clock), `run()` inside one unit of work; several workers share a
    lock, so one of them runs it."""

    name: str
    cron: dict[str, str]
    run: Callable[[], None]


PERIODIC: dict[str, PeriodicWork] = {}


def register_periodic(work: PeriodicWork) -> PeriodicWork:
    PERIODIC[work.name] = work
    return work


# --- finished jobs purged after their retention ------------------------------------------------

PURGE_ACTION = "jobs.purge"


def purge_finished_jobs(now: datetime | None = None, retention_days: int | None = None) -> int:
    """Deletes the jobs finished (done or failed) more than JOBS_RETENTION_DAYS ago, with their
    kept results, in the caller's one transaction, and audits it as the system; returns how many.
    Waiting and running jobs are never touched. What a job wrote (lots, titles, archived documents)
    is not a job row and stays."""
    now = now or utcnow()
    days = current_app.config.get("JOBS_RETENTION_DAYS", 30) if retention_days is None else retention_days
    cutoff = now - timedelta(days=days)
    finished = (Job.state.in_((JobState.DONE, JobState.FAILED)), Job.finished_at < cutoff)
    by_kind = dict(db.session.execute(select(Job.kind, func.count()).where(*finished).group_by(Job.kind)).all())
    if not by_kind:
        return 0
    deleted = db.session.execute(delete(Job).where(*finished).execution_options(synchronize_session=False)).rowcount
    audit.record(
        None,
        PURGE_ACTION,
        "job",
        f"avant {cutoff:%Y-%m-%d %H:%M}",
        after={"deleted": deleted, "by_kind": by_kind, "retention_days": days, "finished_before": cutoff},
    )
    return deleted


register_periodic(PeriodicWork(PURGE_ACTION, {"hour": "3", "minute": "40"}, purge_finished_jobs))
