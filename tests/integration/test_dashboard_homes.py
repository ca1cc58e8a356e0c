"""Each role's home lists its work, most urgent first, with counts and links; a task appears when
the work exists and disappears once done; two coordinators never see each other's work."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update

from groupement.campaigns.models import CampaignReminder
from groupement.campaigns.reminders import remind_late_communes
from groupement.campaigns.rules import SubmissionStatus
from groupement.campaigns.workflow import submit_needs, validate_needs
from groupement.contracts.models import Contract, ContractPrice
from groupement.contracts.orders import place_order, record_delivery
from groupement.core.access import Actor, Role, system_actor
from groupement.core.timeutil import to_paris, utcnow
from groupement.dashboard.queries import home_summary
from groupement.dashboard.tasks import Task, Urgency
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.importing import import_invoice
from groupement.invoices.matching import match_invoice
from groupement.invoices.recovery import issue_recovery_titles, record_payment
from groupement.invoices.service_fait import certify_delivery
from groupement.invoices.splitting import split_invoice
from groupement.lots.campaign_aggregation import aggregate_campaign
from groupement.lots.models import Lot
from groupement.lots.rules import LotStatus
from groupement.tenders.models import Offer
from tests.conftest import log_in
from tests.invoicing import approve_for_split, without_prepayment
from tests.queries import count_queries

UBL = Path(__file__).resolve().parents[1] / "fixtures" / "invoices" / "ubl21_en16931_fr.xml"
ADDRESS = "Mairie\n1 place de la Mairie\n38300 Bourgoin-Jallieu"


@dataclass
class Home:
    """One coordinator's world: an open campaign, a past campaign aggregated into a lot under a
    contract, communes A (38053) and B (38553), and a user of each role."""

    coordinator_org: object
    a: object
    b: object
    campaign: object  # open, closing in 30 days
    lot: Lot
    contract: Contract
    laptop: ContractPrice
    item: object  # the laptop in the catalogue
    agent_a: Actor
    signatory_a: Actor
    agent_b: Actor
    coordinator: Actor
    accountant: Actor
    users: dict
    today: date


def build_home(make, database, name: str, insee: tuple[str, str], siren: str = "243800604") -> Home:
    org = make.coordinator(name=name, siren=siren, siret=None)
    group = make.groupement(org)
    a = make.organisation(name=f"Commune A de {name}", insee_code=insee[0])
    b = make.organisation(name=f"Commune B de {name}", insee_code=insee[1])
    make.membership(group, a)
    make.membership(group, b)
    laptop = make.item(unit_price_ht=Decimal("849.00"), eco_participation=Decimal("1.00"))
    now = utcnow()
    past = make.campaign(
        group,
        [laptop],
        title=f"Informatique {name}",
        opens_at=now - timedelta(days=90),
        closes_at=now - timedelta(days=60),
    )
    make.submission(past, a, {laptop: 4}, status=SubmissionStatus.VALIDATED)
    make.submission(past, b, {laptop: 6}, status=SubmissionStatus.VALIDATED)
    database.session.flush()
    aggregate_campaign(system_actor(org.id), past.id)
    lot = database.session.scalars(select(Lot).where(Lot.campaign_id == past.id)).one()
    today = to_paris(now).date()
    contract = make.contract(
        make.offer(lot, make.supplier(org)),
        maximum_amount=Decimal("100000"),
        notified_on=today - timedelta(days=60),
        start_date=today - timedelta(days=50),
        duration_months=48,
    )
    campaign = make.campaign(group, [laptop], title=f"Recensement {name} 2028")
    users = {
        "agent_a": make.user(Role.AGENT, a),
        "signatory_a": make.user(Role.SIGNATORY, a),
        "agent_b": make.user(Role.AGENT, b),
        "coordinator": make.user(Role.COORDINATOR, org),
        "accountant": make.user(Role.ACCOUNTANT, org),
    }
    database.session.flush()
    return Home(
        coordinator_org=org,
        a=a,
        b=b,
        campaign=campaign,
        lot=lot,
        contract=contract,
        laptop=contract.prices[0],
        item=laptop,
        agent_a=users["agent_a"].actor,
        signatory_a=users["signatory_a"].actor,
        agent_b=users["agent_b"].actor,
        coordinator=users["coordinator"].actor,
        accountant=users["accountant"].actor,
        users=users,
        today=today,
    )


@pytest.fixture
def home(make, database) -> Home:
    return build_home(make, database, "CAPI", ("38053", "38553"))


def tasks_of(actor: Actor, today: date | None = None) -> dict[str, list[Task]]:
    found: dict[str, list[Task]] = {}
    for task in home_summary(actor, today).tasks:
        found.setdefault(task.kind, []).append(task)
    return found


def only(actor: Actor, kind: str) -> Task:
    tasks = tasks_of(actor).get(kind, [])
    assert len(tasks) == 1, f"{kind}: {tasks}"
    return tasks[0]


def ubl_invoice(accountant: Actor, n: int = 0):
    content = without_prepayment(UBL.read_bytes())
    if n:
        content = content.replace(b"<cbc:ID>F124212</cbc:ID>", f"<cbc:ID>F124212-{n}</cbc:ID>".encode(), 1)
    return import_invoice(accountant, f"facture-{n}.xml", content)


# --- the agent ----------------------------------------------------------------------------------------


def test_the_agent_sees_the_campaign_to_fill_with_its_deadline_until_the_needs_are_submitted(home, make):
    task = only(home.agent_a, "needs_to_fill")
    assert task.label == f"Besoins « {home.campaign.title} » à saisir puis soumettre"
    assert (task.count, task.endpoint, task.params) == (1, "needs.grid", {"campaign_id": home.campaign.id})
    assert task.due_on == to_paris(home.campaign.closes_at).date()
    assert task.when.startswith(f"date limite le {task.due_on:%d/%m/%Y} à ")
    assert task.urgency is Urgency.TODO  # 30 days ahead

    make.submission(home.campaign, home.a, {}, updated_by=home.users["agent_a"])
    assert only(home.agent_a, "needs_to_fill").label.endswith("à compléter puis soumettre")
    submit_needs(home.agent_a, home.campaign.id)
    assert "needs_to_fill" not in tasks_of(home.agent_a)
    assert "needs_to_fill" in tasks_of(home.agent_b)  # B's own needs are still to fill


def test_a_deadline_within_a_week_is_soon_and_a_past_one_late(home, database):
    home.campaign.closes_at = utcnow() + timedelta(days=3)
    database.session.flush()
    assert only(home.agent_a, "needs_to_fill").urgency is Urgency.SOON
    today = to_paris(home.campaign.closes_at).date()
    assert tasks_of(home.agent_a, today)["needs_to_fill"][0].urgency is Urgency.LATE


def test_the_agent_sees_orders_to_receive_until_they_are_fully_delivered(home):
    assert "orders_to_receive" not in tasks_of(home.agent_a)
    first = place_order(home.agent_a, home.contract.id, [(home.laptop.id, 3)], ADDRESS)
    place_order(home.agent_a, home.contract.id, [(home.laptop.id, 1)], ADDRESS)
    task = only(home.agent_a, "orders_to_receive")
    assert (task.count, task.label, task.endpoint) == (2, "2 commandes en attente de livraison", "orders.index")

    record_delivery(home.agent_a, first.lines[0].id, home.today, 2)  # partial: still to receive
    assert only(home.agent_a, "orders_to_receive").count == 2
    record_delivery(home.agent_a, first.lines[0].id, home.today, 1)
    assert only(home.agent_a, "orders_to_receive").label == "1 commande en attente de livraison"
    assert "orders_to_receive" not in tasks_of(home.agent_b)  # B ordered nothing
    assert "orders_to_receive" not in tasks_of(home.signatory_a)  # receiving is the agent's


def test_deliveries_to_certify_show_to_the_agent_and_the_signatory_until_certified(home, database):
    order = place_order(home.agent_a, home.contract.id, [(home.laptop.id, 3)], ADDRESS)
    order.created_at = utcnow() - timedelta(days=20)  # ordered three weeks ago
    database.session.flush()
    first = record_delivery(home.agent_a, order.lines[0].id, home.today - timedelta(days=10), 1)
    record_delivery(home.agent_a, order.lines[0].id, home.today, 2)
    for actor in (home.agent_a, home.signatory_a):
        task = only(actor, "deliveries_to_certify")
        assert (task.count, task.label) == (2, "2 livraisons à certifier (service fait)")
        assert task.endpoint == "invoices.service_fait_list"
        assert task.when == f"la plus ancienne reçue le {first.delivered_on:%d/%m/%Y}"
        assert task.urgency is Urgency.LATE  # the oldest waits for more than a week
    assert home_summary(home.agent_a).deliveries_awaiting == 2  # the service-fait card's figure

    certify_delivery(home.signatory_a, first.id)
    task = only(home.agent_a, "deliveries_to_certify")
    assert (task.count, task.label, task.urgency) == (1, "1 livraison à certifier (service fait)", Urgency.SOON)
    assert "deliveries_to_certify" not in tasks_of(home.agent_b)


# --- the signatory ----------------------------------------------------------------------------------


def test_the_signatory_sees_submitted_needs_to_validate_until_validated(home, make):
    assert "needs_to_validate" not in tasks_of(home.signatory_a)
    assert "needs_to_fill" not in tasks_of(home.signatory_a)  # filling is the agent's
    make.submission(home.campaign, home.a, {}, updated_by=home.users["agent_a"])
    submit_needs(home.agent_a, home.campaign.id)
    task = only(home.signatory_a, "needs_to_validate")
    assert task.label == f"Besoins « {home.campaign.title} » soumis, à valider"
    assert (task.count, task.endpoint, task.params) == (1, "needs.grid", {"campaign_id": home.campaign.id})
    validate_needs(home.signatory_a, home.campaign.id)
    assert "needs_to_validate" not in tasks_of(home.signatory_a)


# --- the coordinator --------------------------------------------------------------------------------


def test_the_coordinator_sees_late_communes_to_remind_and_the_last_reminder_sent(home, make, database):
    task = only(home.coordinator, "late_communes")
    assert task.label == f"« {home.campaign.title} » : 2 communes sans besoins validés"
    assert (task.count, task.endpoint, task.params) == (2, "campaigns.board", {"campaign_id": home.campaign.id})
    assert task.detail == "Aucune relance envoyée."

    remind_late_communes(home.coordinator, home.campaign.id)
    assert "late_communes" not in tasks_of(home.coordinator)  # both reminded: nothing to do for 24 h

    database.session.execute(  # commune A's reminder is a day old: A may be reminded again
        update(CampaignReminder)
        .where(CampaignReminder.commune_id == home.a.id)
        .values(sent_at=utcnow() - timedelta(hours=24, minutes=1))
    )
    task = only(home.coordinator, "late_communes")
    assert task.label == f"« {home.campaign.title} » : 1 commune à relancer (2 communes sans besoins validés)"
    assert task.count == 1
    assert task.detail.startswith(f"Dernière relance le {home.today:%d/%m/%Y} à ")
    database.session.execute(update(CampaignReminder).values(sent_at=utcnow() - timedelta(days=2)))
    assert only(home.coordinator, "late_communes").label.endswith(": 2 communes sans besoins validés")

    make.submission(home.campaign, home.a, {}, status=SubmissionStatus.VALIDATED)
    assert only(home.coordinator, "late_communes").label.endswith(": 1 commune sans besoins validés")
    make.submission(home.campaign, home.b, {}, status=SubmissionStatus.VALIDATED)
    assert "late_communes" not in tasks_of(home.coordinator)


def test_the_coordinator_sees_submitted_needs_that_aggregation_would_leave_out(home, make, database):
    submission = make.submission(home.campaign, home.a, {}, status=SubmissionStatus.SUBMITTED)
    task = only(home.coordinator, "submitted_not_validated")
    assert task.label == f"« {home.campaign.title} » : 1 commune a soumis sans validation du signataire"
    assert "agrégation ne retient que les besoins validés" in task.detail
    assert task.urgency is Urgency.TODO

    home.campaign.closes_at = utcnow() - timedelta(hours=1)  # closed, not aggregated yet: urgent
    database.session.flush()
    task = only(home.coordinator, "submitted_not_validated")
    assert task.urgency is Urgency.LATE and task.when.startswith("saisie close le ")

    submission.status = SubmissionStatus.VALIDATED
    database.session.flush()
    assert "submitted_not_validated" not in tasks_of(home.coordinator)


def test_the_coordinator_sees_lots_to_publish_until_published(home, make, database):
    assert "lots_to_publish" not in tasks_of(home.coordinator)  # the one lot is awarded
    home.campaign.closes_at = utcnow() - timedelta(hours=1)
    make.submission(home.campaign, home.a, {home.item: 2}, status=SubmissionStatus.VALIDATED)
    database.session.flush()
    aggregate_campaign(home.coordinator, home.campaign.id)
    task = only(home.coordinator, "lots_to_publish")
    assert (task.count, task.label, task.endpoint) == (1, "1 lot à publier", "lots.index")
    assert task.params == {"campaign_id": home.campaign.id}
    for lot in database.session.scalars(select(Lot).where(Lot.campaign_id == home.campaign.id)):
        lot.status = LotStatus.PUBLISHED
    database.session.flush()
    assert "lots_to_publish" not in tasks_of(home.coordinator)


def test_the_coordinator_sees_offers_to_score_on_a_published_lot_until_scored(home, make, database):
    home.lot.status = LotStatus.PUBLISHED  # back in consultation
    second = make.offer(home.lot, make.supplier(home.coordinator_org))
    database.session.flush()
    task = only(home.coordinator, "offers_to_score")
    assert task.label == f"Lot {home.lot.number} « {home.lot.title} » : 2 offres à noter"
    assert (task.count, task.endpoint, task.params) == (2, "offers.index", {"lot_id": home.lot.id})
    second.technical_score = Decimal("30")
    database.session.flush()
    assert only(home.coordinator, "offers_to_score").label.endswith(": 1 offre à noter")
    for offer in database.session.scalars(select(Offer).where(Offer.lot_id == home.lot.id)):
        offer.technical_score = Decimal("30")
    database.session.flush()
    assert "offers_to_score" not in tasks_of(home.coordinator)


def test_the_coordinator_sees_contracts_near_their_maximum(home, database):
    assert "contracts_near_maximum" not in tasks_of(home.coordinator)
    home.contract.maximum_amount = Decimal("2800")
    database.session.flush()
    place_order(home.agent_a, home.contract.id, [(home.laptop.id, 3)], ADDRESS)  # 2 295,30 € of 2 800 €: 82 %
    task = only(home.coordinator, "contracts_near_maximum")
    assert task.label == "1 marché à 80 % ou plus de son montant maximum"
    assert (task.count, task.endpoint, task.urgency) == (1, "contracts.index", Urgency.SOON)
    assert task.detail == f"{home.contract.number}."
    home.contract.maximum_amount = Decimal("2000")  # lowered below what was ordered: urgent
    database.session.flush()
    assert only(home.coordinator, "contracts_near_maximum").urgency is Urgency.LATE
    home.contract.maximum_amount = Decimal("100000")
    database.session.flush()
    assert "contracts_near_maximum" not in tasks_of(home.coordinator)


def test_the_coordinator_sees_contracts_near_their_end(home, database):
    assert "contracts_ending" not in tasks_of(home.coordinator)  # 48 months from 50 days ago
    home.contract.start_date = home.today - timedelta(days=300)
    home.contract.duration_months = 12  # ends in about 65 days
    database.session.flush()
    task = only(home.coordinator, "contracts_ending")
    assert task.label == "1 marché arrive à échéance dans les 90 jours"
    assert task.when.startswith("premier terme le ") and task.urgency is Urgency.TODO
    assert task.detail.startswith(f"{home.contract.number}.")
    home.contract.start_date = home.today - timedelta(days=500)  # over: nothing to prepare any more
    database.session.flush()
    assert "contracts_ending" not in tasks_of(home.coordinator)


# --- the accountant ---------------------------------------------------------------------------------


def test_the_accountant_follows_an_invoice_from_check_to_titles(home):
    invoice = ubl_invoice(home.accountant)
    task = only(home.accountant, "invoices_to_check")
    assert (task.count, task.label) == (1, "1 facture à rapprocher des commandes")
    assert (task.endpoint, task.params) == ("invoices.board", {"statut": "imported"})

    match_invoice(home.accountant, invoice.id)  # the sample matches no order: blocking anomalies
    tasks = tasks_of(home.accountant)
    assert "invoices_to_check" not in tasks
    assert tasks["blocking_anomalies"][0].label == "1 facture bloquée par une anomalie"
    assert tasks["blocking_anomalies"][0].urgency is Urgency.LATE
    assert "invoices_to_split" not in tasks

    approve_for_split(home.accountant, invoice.id)
    tasks = tasks_of(home.accountant)
    assert "blocking_anomalies" not in tasks
    assert tasks["invoices_to_split"][0].label == "1 facture à répartir entre les communes"

    split_invoice(home.accountant, invoice.id, AllocationKey.EQUAL, ["38053", "38553"])
    tasks = tasks_of(home.accountant)
    assert "invoices_to_split" not in tasks
    assert tasks["titles_to_issue"][0].label == "1 facture répartie sans titres de recettes"
    assert tasks["titles_to_issue"][0].params == {"statut": "split"}

    issue_recovery_titles(home.accountant, invoice.id, home.today)
    assert set(tasks_of(home.accountant)) == set()  # titles due today: not past due yet


def test_the_accountant_sees_unpaid_titles_past_due_until_paid(home):
    invoice = ubl_invoice(home.accountant)
    approve_for_split(home.accountant, invoice.id)
    split_invoice(home.accountant, invoice.id, AllocationKey.EQUAL, ["38053", "38553"])
    titles = issue_recovery_titles(home.accountant, invoice.id, home.today)
    later = home.today + timedelta(days=3)
    task = tasks_of(home.accountant, later)["titles_past_due"][0]
    assert (task.count, task.label, task.urgency) == (2, "2 titres impayés après l'échéance", Urgency.LATE)
    assert task.when == f"échu depuis le {home.today:%d/%m/%Y}"
    assert task.detail == "Reste à encaisser : 308,03\xa0€."  # the whole invoice, both shares
    record_payment(home.accountant, titles[0].id, home.today, titles[0].amount_ttc)
    assert tasks_of(home.accountant, later)["titles_past_due"][0].label == "1 titre impayé après l'échéance"
    record_payment(home.accountant, titles[1].id, home.today, titles[1].amount_ttc)
    assert "titles_past_due" not in tasks_of(home.accountant, later)


# --- order, scope, queries ---------------------------------------------------------------------------


def test_the_accountants_tasks_come_most_urgent_first(home):
    blocked = ubl_invoice(home.accountant, 1)
    match_invoice(home.accountant, blocked.id)
    to_split = ubl_invoice(home.accountant, 2)
    approve_for_split(home.accountant, to_split.id)
    ubl_invoice(home.accountant, 3)
    kinds = [t.kind for t in home_summary(home.accountant).tasks]
    assert kinds == ["blocking_anomalies", "invoices_to_split", "invoices_to_check"]


def test_the_coordinators_tasks_come_most_urgent_first(home, make, database):
    home.campaign.closes_at = utcnow() + timedelta(days=2)  # the late communes: soon
    home.contract.maximum_amount = Decimal("2000")  # beyond the maximum once ordered: urgent
    home.lot.status = LotStatus.PUBLISHED  # an offer to score: to do
    database.session.flush()
    place_order(home.agent_a, home.contract.id, [(home.laptop.id, 2)], ADDRESS)
    home.contract.maximum_amount = Decimal("1000")
    database.session.flush()
    tasks = home_summary(home.coordinator).tasks
    assert [t.kind for t in tasks] == ["contracts_near_maximum", "late_communes", "offers_to_score"]
    assert [t.urgency for t in tasks] == [Urgency.LATE, Urgency.SOON, Urgency.TODO]


def test_two_coordinators_see_nothing_of_each_other(home, make, database):
    other = build_home(make, database, "Vienne", ("38544", "38563"), siren=make.valid_siren(987654))
    other_invoice = ubl_invoice(other.accountant)
    place_order(other.agent_a, other.contract.id, [(other.laptop.id, 1)], ADDRESS)
    other.lot.status = LotStatus.PUBLISHED
    database.session.flush()

    coordinator_tasks = home_summary(home.coordinator).tasks
    assert [t.kind for t in coordinator_tasks] == ["late_communes"]
    assert coordinator_tasks[0].params == {"campaign_id": home.campaign.id}
    assert home_summary(home.accountant).tasks == []
    assert [t.kind for t in home_summary(home.agent_a).tasks] == ["needs_to_fill"]
    # The other coordinator sees its own work.
    assert only(other.accountant, "invoices_to_check").count == 1 and other_invoice.coordinator_id == (
        other.coordinator_org.id
    )
    assert {t.params.get("lot_id") for t in tasks_of(other.coordinator)["offers_to_score"]} == {other.lot.id}


def test_a_home_costs_a_bounded_number_of_queries_whatever_the_amount_of_work(home, make, database):
    def cost(actor: Actor) -> int:
        database.session.expire_all()
        return count_queries(database.engine, lambda: home_summary(actor))

    before = {name: cost(actor) for name, actor in (("agent", home.agent_a), ("coordinator", home.coordinator))}
    before["accountant"] = cost(home.accountant)
    for n in range(1, 4):
        order = place_order(home.agent_a, home.contract.id, [(home.laptop.id, 1)], ADDRESS)
        record_delivery(home.agent_a, order.lines[0].id, home.today, 1)
        ubl_invoice(home.accountant, n)
    make.offer(home.lot, make.supplier(home.coordinator_org))
    home.lot.status = LotStatus.PUBLISHED
    database.session.flush()
    after = {"agent": cost(home.agent_a), "coordinator": cost(home.coordinator), "accountant": cost(home.accountant)}
    assert after == before
    assert max(after.values()) <= 20


# --- the page ---------------------------------------------------------------------------------------


def words(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).replace("\u202f", " ").replace("\xa0", " ").split())


def home_page(app, user) -> str:
    client = app.test_client()
    log_in(client, user.email)
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_page_lists_the_tasks_with_their_links(app, home, database):
    place_order(home.agent_a, home.contract.id, [(home.laptop.id, 1)], ADDRESS)
    database.session.commit()
    page = home_page(app, home.users["agent_a"])
    assert f'href="/campagnes/{home.campaign.id}/besoins"' in page
    assert 'href="/commandes"' in page
    text = words(page)
    assert "À faire" in text and "1 commande en attente de livraison" in text
    assert text.index(f"Besoins « {home.campaign.title} »") < text.index("1 commande en attente")


@pytest.mark.parametrize(
    ("role", "sentence"),
    [
        ("signatory_a", "Rien à valider pour l'instant"),
        ("accountant", "Aucune facture en attente et aucun titre échu impayé. Prochaine étape : importer"),
    ],
)
def test_an_empty_list_says_what_to_do_next(app, home, database, role, sentence):
    database.session.commit()
    text = words(home_page(app, home.users[role]))
    assert sentence in text


@pytest.mark.parametrize(
    ("role", "sentence"),
    [
        ("agent_a", "Rien à faire pour l'instant : aucune campagne à remplir"),
        ("coordinator", "Rien en attente : toutes les communes ont validé"),
    ],
)
def test_the_agents_and_coordinators_empty_lists_say_what_to_do_next(app, home, make, database, role, sentence):
    make.submission(home.campaign, home.a, {}, status=SubmissionStatus.VALIDATED)
    make.submission(home.campaign, home.b, {}, status=SubmissionStatus.VALIDATED)
    database.session.commit()
    assert sentence in words(home_page(app, home.users[role]))
