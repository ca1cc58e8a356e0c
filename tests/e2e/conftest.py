from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from groupement.campaigns.models import PendingUpload
from groupement.campaigns.rules import CampaignStatus, SubmissionStatus
from groupement.core.access import Role, system_actor
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.lots.campaign_aggregation import aggregate_campaign
from groupement.lots.models import Lot
from groupement.organisations.families import Family
from tests import factories
from tests.conftest import log_in
from tests.e2e.browser import browser, live_server, page  # noqa: F401  (shared fixtures, defined once)


@dataclass
class World:
    """A coordinator with two member communes A and B, and one user per principal."""

    ids: dict[str, int]
    emails: dict[str, str]


PRINCIPALS = ("anonymous", "agent_a", "agent_b", "signatory_a", "coordinator", "accountant", "admin", "supplier_a")
# The principals of a second coordinator ("Autre coordonnateur"), who must reach nothing of the first.
OTHER_PRINCIPALS = ("other_agent", "other_coordinator", "other_accountant", "other_admin", "other_supplier_user")


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
    contract_ids = _awarded_contract(group, commune_a, commune_b, item, users)
    invoice_ids = _recovered_invoice(commune_a, commune_b, users)
    other_ids = _other_coordinator(users, item)
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
            **contract_ids,
            **invoice_ids,
            **other_ids,
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
    aggregate_campaign(system_actor(campaign.groupement.coordinator_id), campaign.id)
    lots = db.session.scalars(select(Lot).where(Lot.campaign_id == campaign.id).order_by(Lot.number)).all()
    return {
        "lots_campaign": campaign.id,
        "lot": lots[0].id,
        "lot_2": lots[1].id,
        "lot_3": lots[2].id,
        "lot_line": lots[0].lines[0].id,
    }


def _awarded_contract(group, commune_a, commune_b, laptop, users) -> dict[str, int]:
    """A third campaign (laptops and screens; A: 4 + 6, B: 6 laptops), aggregated into one lot
    awarded to a supplier: the framework contract the communes order from (its own campaign, so
    that the lots pages keep the draft lots above). Commune A placed one order: 2 laptops, 3 screens."""
    from groupement.catalog.models import CatalogItem
    from groupement.contracts.orders import place_order
    from groupement.core.access import Actor

    make = factories
    screen = db.session.scalar(select(CatalogItem).where(CatalogItem.ref == "INF-ECRAN"))
    now = utcnow()
    campaign = make.campaign(
        group,
        [laptop, screen],
        title="Recensement attribué",
        year=2026,
        opens_at=now - timedelta(days=120),
        closes_at=now - timedelta(days=90),
    )
    make.submission(
        campaign, commune_a, {laptop: 4, screen: 6}, status=SubmissionStatus.VALIDATED, updated_by=users["signatory_a"]
    )
    make.submission(campaign, commune_b, {laptop: 6}, status=SubmissionStatus.VALIDATED, updated_by=users["agent_b"])
    db.session.commit()
    aggregate_campaign(system_actor(campaign.groupement.coordinator_id), campaign.id)
    lot = db.session.scalars(select(Lot).where(Lot.campaign_id == campaign.id)).one()
    supplier = make.supplier(name="Informatique Dauphiné")
    users["supplier_a"] = make.supplier_user(supplier)  # the contract holder's user (issue 17)
    offer = make.offer(lot, supplier)  # the estimate less 10 %: laptop 764,10 €, screen 116,10 €
    today = now.date()
    notified_on, start_date = today - timedelta(days=60), today - timedelta(days=50)
    contract = make.contract(offer, maximum_amount=Decimal("20000"), notified_on=notified_on, start_date=start_date)
    db.session.commit()
    prices = {price.item_id: price for price in contract.prices}
    agent_a = Actor(users["agent_a"].id, Role.AGENT, commune_a.id)
    order = place_order(
        agent_a, contract.id, [(prices[laptop.id].id, 2), (prices[screen.id].id, 3)], "Mairie de Commune A"
    )
    from groupement.suppliers.models import BasketLine

    basket_line = BasketLine(user_id=users["agent_a"].id, contract_price_id=prices[screen.id].id, quantity=1)
    db.session.add(basket_line)
    db.session.commit()
    return {
        "basket_line_a": basket_line.id,
        "contract_campaign": campaign.id,
        "contract_lot": lot.id,
        "supplier": supplier.id,
        "offer": offer.id,
        "contract": contract.id,
        "contract_price": prices[laptop.id].id,
        "contract_price_2": prices[screen.id].id,
        "order_a": order.id,
        "order_line_a": order.lines[0].id,
    }


def _recovered_invoice(commune_a, commune_b, users) -> dict[str, int]:
    """The UBL sample invoice (273,00 € HT, 308,03 € TTC, no order), split equally between A and B,
    its recovery titles issued by the accountant."""
    from pathlib import Path

    from groupement.core.access import Actor
    from groupement.invoices.allocation import AllocationKey
    from groupement.invoices.importing import import_invoice
    from groupement.invoices.models import Allocation
    from groupement.invoices.recovery import issue_recovery_titles
    from groupement.invoices.splitting import split_invoice
    from tests.invoicing import approve_for_split, without_prepayment

    sample = Path(__file__).resolve().parents[1] / "fixtures" / "invoices" / "ubl21_en16931_fr.xml"
    accountant = Actor(users["accountant"].id, Role.ACCOUNTANT, users["accountant"].organisation_id)
    invoice = import_invoice(accountant, sample.name, without_prepayment(sample.read_bytes()))
    approve_for_split(accountant, invoice.id)
    split_invoice(accountant, invoice.id, AllocationKey.EQUAL, [commune_a.insee_code, commune_b.insee_code])
    titles = {t.commune_id: t for t in issue_recovery_titles(accountant, invoice.id, utcnow().date() + timedelta(30))}
    from groupement.invoices.models import InvoiceBatch

    batch = InvoiceBatch(
        coordinator_id=accountant.organisation_id,
        file_name="chorus.zip",
        content=b"PK",
        report=[],
        finished_at=utcnow(),
    )
    db.session.add(batch)
    db.session.commit()  # services flush only: the world is committed like a request would
    allocations = {a.commune_id: a for a in db.session.scalars(select(Allocation))}
    return {
        "invoice_batch": batch.id,
        "invoice": invoice.id,
        "invoice_check": next(c.id for c in invoice.checks if not c.ok),
        "allocation_a": allocations[commune_a.id].id,
        "allocation_b": allocations[commune_b.id].id,
        "title_a": titles[commune_a.id].id,
        "title_b": titles[commune_b.id].id,
    }


def _other_coordinator(users, laptop) -> dict[str, int]:
    """A second coordinator with its own groupement, member commune, users, supplier, campaign,
    lot, offer, contract and order, and the same sample invoice split, titled and partly paid."""
    from pathlib import Path

    from groupement.contracts.orders import place_order
    from groupement.core.access import Actor
    from groupement.invoices.allocation import AllocationKey
    from groupement.invoices.importing import import_invoice
    from groupement.invoices.recovery import issue_recovery_titles, record_payment
    from groupement.invoices.splitting import split_invoice
    from tests.invoicing import approve_for_split, without_prepayment

    make = factories
    other = make.coordinator(name="Autre coordonnateur", siren="200066793", siret=None)
    commune = make.organisation(name="Commune autre")
    group = make.groupement(other)
    make.membership(group, commune)
    for name, role, organisation in (
        ("other_agent", Role.AGENT, commune),
        ("other_coordinator", Role.COORDINATOR, other),
        ("other_accountant", Role.ACCOUNTANT, other),
        ("other_admin", Role.ADMIN, other),
    ):
        users[name] = make.user(role, organisation)
    now = utcnow()
    campaign = make.campaign(
        group,
        [laptop],
        title="Recensement autre",
        opens_at=now - timedelta(days=120),
        closes_at=now - timedelta(days=90),
    )
    make.submission(campaign, commune, {laptop: 5}, status=SubmissionStatus.VALIDATED)
    db.session.commit()
    aggregate_campaign(system_actor(campaign.groupement.coordinator_id), campaign.id)
    lot = db.session.scalars(select(Lot).where(Lot.campaign_id == campaign.id)).one()
    supplier = make.supplier(other, name="Fournisseur de l'autre")
    users["other_supplier_user"] = make.supplier_user(supplier)
    offer = make.offer(lot, supplier)
    today = now.date()
    contract = make.contract(offer, notified_on=today - timedelta(days=60), start_date=today - timedelta(days=50))
    db.session.commit()
    agent = Actor(users["other_agent"].id, Role.AGENT, commune.id)
    order = place_order(agent, contract.id, [(contract.prices[0].id, 1)], "Mairie de la commune autre")
    accountant = Actor(users["other_accountant"].id, Role.ACCOUNTANT, other.id)
    sample = Path(__file__).resolve().parents[1] / "fixtures" / "invoices" / "ubl21_en16931_fr.xml"
    invoice = import_invoice(accountant, sample.name, without_prepayment(sample.read_bytes()))
    approve_for_split(accountant, invoice.id)
    split_invoice(accountant, invoice.id, AllocationKey.EQUAL, [commune.insee_code])
    (title,) = issue_recovery_titles(accountant, invoice.id, today + timedelta(30))
    record_payment(accountant, title.id, today, Decimal("10.00"))
    db.session.commit()
    return {
        "other": other.id,
        "other_commune": commune.id,
        "other_campaign": campaign.id,
        "other_lot": lot.id,
        "other_supplier": supplier.id,
        "other_offer": offer.id,
        "other_contract": contract.id,
        "other_order": order.id,
        "other_order_line": order.lines[0].id,
        "other_invoice": invoice.id,
        "other_invoice_check": next(c.id for c in invoice.checks if not c.ok),
        "other_title": title.id,
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


@pytest.fixture
def demo(app, live_server):  # noqa: F811  (the shared fixture imported above)
    """The demo data set behind a live server, for the browser tests."""
    from groupement.core.transaction import unit_of_work
    from groupement.demo.dataset import load_demo

    # The live server reads from its own connections: the demo must be committed, as the CLI does.
    with app.app_context(), unit_of_work():
        load_demo()
    return live_server
