from __future__ import annotations

from dataclasses import dataclass

import pytest

from groupement.domain.access import Role
from groupement.domain.campaigns import CampaignStatus
from groupement.extensions import db
from groupement.models import PendingUpload
from tests import factories
from tests.conftest import log_in
from tests.e2e.browser import browser, live_server, page  # noqa: F401  (shared fixtures, defined once)


@dataclass
class World:
    """A coordinator with two member communes A and B, and one user per principal."""

    ids: dict[str, int]
    emails: dict[str, str]


PRINCIPALS = ("anonymous", "agent_a", "agent_b", "signatory_a", "coordinator", "accountant", "admin")


@pytest.fixture
def world(app, empty_database) -> World:
    with app.app_context():
        return _build_world()


def _build_world() -> World:
    make = factories
    capi = make.coordinator()
    commune_a = make.organisation(name="Commune A")
    commune_b = make.organisation(name="Commune B")
    group = make.groupement(capi)
    make.membership(group, commune_a)
    make.membership(group, commune_b)
    users = {
        "agent_a": make.user(Role.AGENT, commune_a),
        "agent_b": make.user(Role.AGENT, commune_b),
        "signatory_a": make.user(Role.SIGNATORY, commune_a),
        "coordinator": make.user(Role.COORDINATOR, capi),
        "accountant": make.user(Role.ACCOUNTANT, capi),
        "admin": make.user(Role.ADMIN, capi),
    }
    item = make.item()
    campaign = make.campaign(group, [item], status=CampaignStatus.OPEN)
    submission_a = make.submission(campaign, commune_a, {item: 3}, updated_by=users["agent_a"])
    # Two checked Excel uploads of commune A awaiting confirmation (one to confirm, one to cancel).
    change = {"item_id": item.id, "ref": item.ref, "quantity": 5, "comment": "", "version": 1}
    uploads = [
        PendingUpload(submission_id=submission_a.id, created_by_id=users["agent_a"].id, file_name=n, changes=[change])
        for n in ("besoins.xlsx", "besoins-bis.xlsx")
    ]
    db.session.add_all(uploads)
    db.session.commit()
    return World(
        ids={
            "capi": capi.id,
            "commune_a": commune_a.id,
            "commune_b": commune_b.id,
            "campaign": campaign.id,
            "item": item.id,
            "submission_a": submission_a.id,
            "upload_a": uploads[0].id,
            "upload_a_spare": uploads[1].id,
        },
        emails={name: user.email for name, user in users.items()},
    )


@pytest.fixture
def client_as(app, world):
    """A test client logged in as the principal (or anonymous)."""

    def build(principal: str):
        client = app.test_client()
        if principal != "anonymous":
            log_in(client, world.emails[principal])
        return client

    return build
