"""Shared fixtures. The database is SQLite in a temporary folder, or DATABASE_URL when set
(CI runs the suite a second time on PostgreSQL); its schema comes from the migrations only."""

from __future__ import annotations

import os
import re
from contextlib import contextmanager

import flask_migrate
import pytest
from flask_sqlalchemy.session import Session
from sqlalchemy import inspect, text

from groupement import create_app
from groupement.config import database_url
from groupement.extensions import db
from tests import factories

CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("instance")
    uri = database_url(os.environ.get("DATABASE_URL"), str(folder))
    application = create_app(
        {
            "ENV_NAME": "testing",
            "TESTING": True,
            "SECRET_KEY": "clef-de-test",
            "SQLALCHEMY_DATABASE_URI": uri,
            "MAIL_SERVER": "",
            "SIRENE_LOOKUP": False,  # no network call from the tests (tenders/sirene.py)
            # Tests log in many times: only tests/e2e/test_security.py turns the limiter on.
            "RATELIMIT_ENABLED": False,
        }
    )
    with application.app_context():
        _reset_schema()
        flask_migrate.upgrade()
    return application


def _reset_schema() -> None:
    """A database left by an earlier run starts empty: the migrations build it from nothing."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    assert inspect(engine).get_table_names() == []


def _delete_all_rows() -> None:
    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


class _JoinedSession(Session):
    """A session on the test's connection (Flask-SQLAlchemy's own picks the engine instead)."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@contextmanager
def _rolled_back(app):
    """Everything the test writes happens inside one outer transaction, rolled back at the end.

    Each request, CLI command or service of the test gets a session on that connection; its
    commit only releases a savepoint (SQLAlchemy's "join_transaction_mode"), so the code under
    test commits as in production while the database stays empty for the next test. No app
    context is held meanwhile: each request pushes its own, with a fresh `g`."""
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    production_session = db.session
    db.session = db._make_scoped_session(
        {"class_": _JoinedSession, "bind": connection, "join_transaction_mode": "create_savepoint"}
    )
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
        db.session = production_session
        outer.rollback()
        connection.close()


def _needs_real_commits(request) -> bool:
    """Threads (concurrency, a live server for the browser), other connections (faults seen from
    outside, backups) and schema changes need what the code commits to reach the database."""
    return request.node.get_closest_marker("real_commits") is not None or "live_server" in request.fixturenames


@pytest.fixture
def database(app, request):
    """An app context held over an empty database, for services and models (integration)."""
    if _needs_real_commits(request):
        with app.app_context():
            yield db
            db.session.rollback()
            _delete_all_rows()
        return
    with _rolled_back(app), app.app_context():
        yield db


@pytest.fixture
def make(database):
    return factories


@pytest.fixture
def empty_database(app, request):
    """An empty database and no app context held: HTTP requests get a fresh `g` each, as in
    production (a held context would share Flask-Login's cached user between clients)."""
    if _needs_real_commits(request):
        yield app
        with app.app_context():
            _delete_all_rows()
        return
    with _rolled_back(app):
        yield app


@pytest.fixture
def client(app, empty_database):
    return app.test_client()


def csrf_token_of(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "aucun jeton CSRF dans la page"
    return match.group(1)


def log_in(client, email: str, password: str = factories.PASSWORD):
    token = csrf_token_of(client.get("/connexion").get_data(as_text=True))
    response = client.post("/connexion", data={"csrf_token": token, "email": email, "password": password})
    assert response.status_code == 302, f"connexion refusée pour {email}"
    return response
