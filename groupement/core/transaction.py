"""The unit of work: one transaction per request, CLI command or job (docs/architecture.md).

Services flush and never commit. The request ends the transaction once: it commits when the
view returned normally (a status below 400) and nothing asked to discard the work, and rolls
back otherwise. A CLI command runs inside `unit_of_work()`, which does the same. A step that
may fail and be retried inside one unit of work runs in `savepoint()`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import wraps

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from groupement.extensions import db


def discard() -> None:
    """Undo this request's writes and make sure nothing commits them: a refusal was shown."""
    db.session.rollback()
    if has_request_context():
        g.unit_of_work_discarded = True


def end_of_request(response):
    """Commit once if the view succeeded, roll back otherwise (after_request hook)."""
    if response.status_code < 400 and not g.get("unit_of_work_discarded"):
        db.session.commit()
    else:
        db.session.rollback()
    return response


def install(app: Flask) -> None:
    app.after_request(end_of_request)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """For CLI commands and jobs: commit at the end, roll back on any exception.

    It is a writing unit of work: on SQLite its transaction begins IMMEDIATE (see below)."""
    held = has_app_context()
    previous = g.get("unit_of_work_writes", False) if held else False
    if held:
        g.unit_of_work_writes = True
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    finally:
        if held:
            g.unit_of_work_writes = previous
    try:
        db.session.commit()
    except BaseException:
        # A commit that failed (SQLite: "database is locked" after the busy timeout) leaves the
        # driver's transaction open: roll it back here, or the next unit of work on this session
        # would begin inside it.
        db.session.rollback()
        raise


def transactional(command):
    """Decorator form of `unit_of_work`, for click commands (inside `with_appcontext`)."""

    @wraps(command)
    def run(*args, **kwargs):
        with unit_of_work():
            return command(*args, **kwargs)

    return run


@contextmanager
def savepoint() -> Iterator[None]:
    """A nested transaction: an error inside undoes only what was written inside."""
    with db.session.begin_nested():
        yield


# How long a SQLite writer waits for the one before it (SQLite has a single writer at a time).
SQLITE_BUSY_TIMEOUT_MS = 30_000
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record) -> None:
    # pysqlite opens transactions lazily and would let a SAVEPOINT start (and RELEASE commit)
    # a transaction of its own; SQLAlchemy's documented recipe hands BEGIN back to SQLAlchemy.
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        # Write-ahead log: a reader never blocks a writer's commit nor a writer a reader. In the
        # default rollback journal, a job reading for minutes (the dossier at 1 000 communes)
        # made every commit wait for it, and while a commit waited no page could even read
        # ("database is locked" after the busy timeout). In-memory databases stay "memory".
        dbapi_connection.execute("PRAGMA journal_mode = WAL")
        # In WAL, NORMAL syncs the log at checkpoints rather than at every commit (Rails 8's
        # and Django's documented SQLite settings): a commit no longer waits for the disk (5 ms
        # of each save of the grid here), and the database cannot be corrupted; a power cut or
        # an OS crash may lose the last commits before a checkpoint, never an application crash.
        # The embedded default serves a trial or a small groupement; production is PostgreSQL.
        dbapi_connection.execute("PRAGMA synchronous = NORMAL")


def writes_on_get(view):
    """Marks a GET route that writes: a document archived at its first download. Its transaction
    begins as a writing one (BEGIN IMMEDIATE on SQLite), so that two first downloads at once
    queue instead of the second failing with "database is locked". Put it under @bp.route."""
    view.writes_on_get = True
    return view


def _writes() -> bool:
    """This transaction belongs to a unit of work that writes: a POST (PUT, DELETE…) request, a
    GET route marked `writes_on_get`, or a CLI command or job in `unit_of_work()`."""
    if has_request_context():
        if request.method not in SAFE_METHODS:
            return True
        view = current_app.view_functions.get(request.endpoint or "")
        if getattr(view, "writes_on_get", False):
            return True
    return has_app_context() and g.get("unit_of_work_writes", False)


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    # A deferred SQLite transaction that has read and then writes cannot wait for another
    # writer: SQLite answers "database is locked" at once (waiting could deadlock), and a
    # version read before the other writer's commit would be stale. A writing unit of work
    # therefore takes the write lock when it begins (BEGIN IMMEDIATE): writers queue, up to
    # SQLITE_BUSY_TIMEOUT_MS each, and each reads what the one before it committed. Reads
    # (GET pages) stay deferred. PostgreSQL keeps its row locks (with_for_update).
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writes() else "BEGIN")
