"""The database dropping in the middle of a request: a French error page, nothing half-written."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from groupement.campaigns import grid as campaign_grid
from groupement.campaigns.models import NeedLine
from groupement.core.audit_log import AuditEvent
from groupement.extensions import db
from tests.conftest import csrf_token_of

LOST = OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))


@pytest.fixture
def errors_shown(app, monkeypatch):
    """As in production: an unexpected exception becomes the 500 page instead of reaching the test."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)


def need_line_state(app, world):
    with app.app_context():
        line = db.session.scalar(select(NeedLine).where(NeedLine.submission_id == world.ids["submission_a"]))
        events = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("need_line.%"))
        )
        return line.quantity, line.version, events


def test_the_database_dropping_during_a_save_shows_a_french_500_page_and_writes_nothing(
    app, client_as, world, errors_shown, monkeypatch
):
    client = client_as("agent_a")
    path = f"/campagnes/{world.ids['campaign']}/besoins"
    item = world.ids["item"]
    page = client.get(path).get_data(as_text=True)
    before = need_line_state(app, world)
    assert before[0] == 3

    def connection_lost(submission, actor):
        db.session.flush()  # the new quantity and its audit event have reached the database...
        raise LOST  # ...when the connection drops, before the commit

    monkeypatch.setattr(campaign_grid, "touch", connection_lost)
    response = client.post(
        path,
        data={
            "csrf_token": csrf_token_of(page),
            f"q-{item}": "9",
            f"c-{item}": "",
            f"v-{item}": re.search(rf'name="v-{item}" value="(\d+)"', page).group(1),
            f"oq-{item}": "3",
            f"oc-{item}": "",
        },
    )

    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert '<html lang="fr"' in html
    assert "Erreur interne" in html and "rien n&#39;a été enregistré" in html
    assert "Traceback" not in html and "OperationalError" not in html
    assert need_line_state(app, world) == before
    monkeypatch.undo()
    assert client.get(path).status_code == 200  # the next request works on a fresh connection


def test_the_database_dropping_while_reading_a_page_shows_the_french_500_page(
    app, client_as, world, errors_shown, monkeypatch
):
    client = client_as("agent_a")

    def connection_lost(*args, **kwargs):
        raise LOST

    monkeypatch.setattr("groupement.campaigns.web.needs.routes.needs_grid_page", connection_lost)
    response = client.get(f"/campagnes/{world.ids['campaign']}/besoins")
    assert response.status_code == 500
    assert "Erreur interne" in response.get_data(as_text=True)
