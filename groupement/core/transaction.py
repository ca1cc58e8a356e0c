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

from flask import Flask, g, has_request_context
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
    """For CLI commands and jobs: commit at the end, roll back on any exception."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


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


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record) -> None:
    # pysqlite opens transactions lazily and would let a SAVEPOINT start (and RELEASE commit)
    # a transaction of its own; SQLAlchemy's documented recipe hands BEGIN back to SQLAlchemy.
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")
