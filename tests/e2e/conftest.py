from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from groupement.domain.access import Role
from groupement.domain.campaigns import CampaignStatus, SubmissionStatus
from groupement.domain.families import Family
from groupement.extensions import db
from groupement.models import Lot, PendingUpload
from groupement.services.lots import aggregate_campaign
from groupement.timeutil import utcnow
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
    lots_ids = _aggregated_campaign(group, commune_a, commune_b, item, users)
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
            **lots_ids,
        },
        emails={name: user.email for name, user in users.items()},
    )


def _aggregated_campaign(group, commune_a, commune_b, laptop, users) -> dict[str, int]:
    """A second campaign, past its deadline, A's and B's needs validated, aggregated into three
    lots: 1 workstations (laptop, screen), 2 printing (printer), 3 paper."""
    make = factories
    screen = make.item(
        ref="INF-ECRAN",
        designation="Écran 24 pouces",
        cpv_code="30231300-0",
        unit_price_ht=Decimal("129.00"),
        eco_participation=Decimal("0.50"),
    )
    printer = make.item(
        ref="INF-IMPR",
        designation="Imprimante laser",
        cpv_code="30232110-8",
        unit_price_ht=Decimal("310.00"),
        eco_participation=Decimal("0"),
    )
    paper = make.item(
        ref="FOU-PAPIER",
        designation="Ramette A4",
        family=Family.FOURNITURES,
        cpv_code="30197630-1",
        unit="ramette",
        unit_price_ht=Decimal("4.2000"),
        eco_participation=Decimal("0"),
        account="6064",
    )
    now = utcnow()
    campaign = make.campaign(
        group,
        [laptop, screen, printer, paper],
        title="Recensement clos",
        opens_at=now - timedelta(days=40),
        closes_at=now - timedelta(days=1),
    )
    make.submission(
        campaign,
        commune_a,
        {laptop: 4, screen: 6, printer: 2, paper: 100},
        status=SubmissionStatus.VALIDATED,
        updated_by=users["signatory_a"],
    )
    make.submission(
        campaign, commune_b, {laptop: 6, paper: 50}, status=SubmissionStatus.VALIDATED, updated_by=users["agent_b"]
    )
    db.session.commit()
    aggregate_campaign(None, campaign.id)
    lots = db.session.scalars(select(Lot).where(Lot.campaign_id == campaign.id).order_by(Lot.number)).all()
    return {
        "lots_campaign": campaign.id,
        "lot": lots[0].id,
        "lot_2": lots[1].id,
        "lot_3": lots[2].id,
        "lot_line": lots[0].lines[0].id,
    }


@pytest.fixture
def client_as(app, world):
    """A test client logged in as the principal (or anonymous)."""

    def build(principal: str):
        client = app.test_client()
        if principal != "anonymous":
            log_in(client, world.emails[principal])
        return client

    return build
