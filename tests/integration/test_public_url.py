"""Links in e-mails follow the server the request reached unless PUBLIC_URL is set (issue 16)."""

from __future__ import annotations

import logging

import pytest

from groupement.core.access import Role
from groupement.core.mail import public_link
from groupement.extensions import db
from tests import factories
from tests.conftest import csrf_token_of


@pytest.fixture
def no_public_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "")
    monkeypatch.setitem(app.config, "ENV_NAME", "development")
    monkeypatch.delenv("FLASK_RUN_PORT", raising=False)
    return app


def test_without_public_url_a_link_follows_the_port_the_server_was_reached_on(no_public_url):
    with no_public_url.test_request_context("/", base_url="http://127.0.0.1:5123"):
        assert public_link("/campagnes/7/besoins") == "http://127.0.0.1:5123/campagnes/7/besoins"


def test_public_url_when_set_wins_over_the_server(no_public_url, monkeypatch):
    monkeypatch.setitem(no_public_url.config, "PUBLIC_URL", "https://groupement.capi38.fr/")
    with no_public_url.test_request_context("/", base_url="http://127.0.0.1:5123"):
        assert public_link("/x") == "https://groupement.capi38.fr/x"


def test_outside_a_request_the_link_uses_flask_run_port_else_5000(no_public_url, monkeypatch):
    with no_public_url.app_context():
        assert public_link("/x") == "http://127.0.0.1:5000/x"
        monkeypatch.setenv("FLASK_RUN_PORT", "5077")
        assert public_link("x") == "http://127.0.0.1:5077/x"


def test_in_production_a_forged_host_header_does_not_choose_the_link(no_public_url, monkeypatch):
    monkeypatch.setitem(no_public_url.config, "ENV_NAME", "production")
    with no_public_url.test_request_context("/", base_url="http://attaquant.example:80"):
        assert public_link("/x") == "http://127.0.0.1:5000/x"


def test_the_reset_mail_links_to_the_port_of_the_running_server(no_public_url, empty_database, caplog):
    with no_public_url.app_context():
        user = factories.user(Role.AGENT, factories.coordinator())
        email = user.email
        db.session.commit()
    client = no_public_url.test_client()
    base = "http://127.0.0.1:5123"
    token = csrf_token_of(client.get("/mot-de-passe-oublie", base_url=base).get_data(as_text=True))
    with caplog.at_level(logging.INFO, logger="groupement.mail"):
        response = client.post("/mot-de-passe-oublie", data={"csrf_token": token, "email": email}, base_url=base)
    assert response.status_code == 302
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "http://127.0.0.1:5123/reinitialisation/" in logged
    assert "127.0.0.1:5000" not in logged
