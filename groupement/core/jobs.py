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
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from groupement.core.access import Actor, Role
from groupement.core.errors import NotFound
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


Progress = Callable[[int, int, str], None]
"""progress(done, total, step): called by the work as it goes; shown on the job page."""


@dataclass(frozen=True)
class JobKind:
    """A kind of job a feature registers.

    run(actor, params, progress) -> JobResult does the work inside the job's unit of work, as the
    system actor of the organisation that owns the job (core/access.system_actor): it flushes,
    never commits; a ServiceError is shown in French and everything it wrote is rolled back.
    check(actor, params) raises NotFound when the actor may not see the job's target (the same
    scope as the page that starts it). `writes=False` for a job that only reads (a file to
    build): on SQLite it then does not hold the write lock while it works."""

    name: str
    run: Callable[[Actor, dict[str, Any], Progress], JobResult]
    roles: frozenset[Role]
    check: Callable[[Actor, dict[str, Any]], None]
    writes: bool = True
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    back_url: Callable[[dict[str, Any]], str] | None = field(default=None)


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    KINDS[kind.name] = kind
    return kind


def kind_of(job: Job) -> JobKind:
    return KINDS[job.kind]


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
