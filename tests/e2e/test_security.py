"""Hostile visitors: login rate limiting, and the security headers of every page."""

from __future__ import annotations

import pytest

from groupement import create_app
from groupement.core.access import Role
from groupement.extensions import db, limiter
from tests import factories
from tests.conftest import csrf_token_of
from tests.e2e.test_access_matrix import ALL_RULES, routes

# Real commits: what the code commits must be seen by other connections or threads.
pytestmark = pytest.mark.real_commits

# --- login rate limiting -----------------------------------------------------------------------


@pytest.fixture
def limited_app(app, empty_database):
    """An app on the test database with the rate limiter on (the shared test app has it off)."""
    config = {key: app.config[key] for key in ("ENV_NAME", "TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI")}
    limited = create_app({**config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"})
    limiter.reset()
    yield limited
    limiter.reset()
    limiter.enabled = False  # the limiter is one object shared by every app of the test session


def _attempt(client, email: str, password: str = "mauvais-mot-de-passe"):
    token = csrf_token_of(client.get("/connexion").get_data(as_text=True))
    return client.post("/connexion", data={"csrf_token": token, "email": email, "password": password})


def _client_from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _known_user(app) -> str:
    with app.app_context():
        email = factories.user(Role.AGENT, factories.coordinator()).email
        db.session.commit()
        return email


def test_the_sixth_wrong_password_for_one_email_is_refused_with_a_french_page(limited_app):
    client = limited_app.test_client()
    for _ in range(5):
        response = _attempt(client, "cible@exemple.fr")
        assert response.status_code == 200
        assert "mot de passe incorrect" in response.get_data(as_text=True)
    response = _attempt(client, "cible@exemple.fr")
    assert response.status_code == 429
    assert "Trop de tentatives de connexion" in response.get_data(as_text=True)


def test_the_email_limit_ignores_case_and_spaces(limited_app):
    client = limited_app.test_client()
    for email in ("Cible@Exemple.fr", " cible@exemple.fr", "CIBLE@EXEMPLE.FR", "cible@exemple.fr ", "cible@exemple.fr"):
        assert _attempt(client, email).status_code == 200
    assert _attempt(client, "cible@exemple.FR").status_code == 429


def test_the_email_limit_follows_the_account_whatever_the_client_address(limited_app):
    for n in range(5):
        client = _client_from(limited_app, f"10.0.0.{n + 1}")
        assert _attempt(client, "cible@exemple.fr").status_code == 200
    other = _client_from(limited_app, "10.0.0.99")
    assert _attempt(other, "cible@exemple.fr").status_code == 429


def test_another_email_from_the_same_client_is_not_blocked_before_the_address_limit(limited_app):
    email = _known_user(limited_app)
    client = limited_app.test_client()
    for _ in range(6):
        _attempt(client, "cible@exemple.fr")
    assert _attempt(client, "cible@exemple.fr").status_code == 429
    # The blocked account does not block the others: the right password still logs in.
    assert _attempt(client, email, factories.PASSWORD).status_code == 302


def test_one_client_address_is_limited_to_ten_attempts_a_minute_whatever_the_emails(limited_app):
    client = _client_from(limited_app, "192.0.2.7")
    statuses = [_attempt(client, f"personne{n}@exemple.fr").status_code for n in range(11)]
    assert statuses == [200] * 10 + [429]
    assert "Trop de tentatives de connexion" in _attempt(client, "encore@exemple.fr").get_data(as_text=True)
    elsewhere = _client_from(limited_app, "192.0.2.8")
    assert _attempt(elsewhere, "personne0@exemple.fr").status_code == 200


def test_the_login_page_itself_is_not_limited(limited_app):
    client = limited_app.test_client()
    assert all(client.get("/connexion").status_code == 200 for _ in range(15))


def test_the_test_configuration_leaves_the_limiter_off(app):
    assert app.config["RATELIMIT_ENABLED"] is False


# --- security headers --------------------------------------------------------------------------


def _directives(policy: str) -> dict[str, list[str]]:
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def test_every_page_the_admin_can_open_carries_the_security_headers(app, client_as, world):
    client = client_as("admin")
    pages = [
        (endpoint, path_of(world.ids))
        for (endpoint, method), (path_of, expected) in ALL_RULES.items()
        if method == "GET" and (endpoint, method) in routes(app) and expected.get("admin") == 200
    ]
    assert len(pages) > 20
    failures = []
    for endpoint, path in pages:
        response = client.get(path)
        headers = response.headers
        directives = _directives(headers.get("Content-Security-Policy", ""))
        scripts = directives.get("script-src", directives.get("default-src", []))
        problems = [
            response.status_code != 200 and f"statut {response.status_code}",
            not scripts and "pas de script-src",
            "'unsafe-inline'" in scripts and "script-src 'unsafe-inline'",
            "'unsafe-inline'" in directives.get("style-src", []) and "style-src 'unsafe-inline'",
            headers.get("X-Frame-Options") != "DENY" and "X-Frame-Options",
            headers.get("X-Content-Type-Options") != "nosniff" and "X-Content-Type-Options",
            not headers.get("Referrer-Policy") and "Referrer-Policy",
        ]
        failures += [f"{path} ({endpoint}) : {problem}" for problem in problems if problem]
    assert failures == []
