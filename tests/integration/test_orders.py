"""Purchase orders on a real database: numbering, prices, the contract's maximum, needs,
deliveries and who may do what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from groupement.campaigns.rules import SubmissionStatus
from groupement.contracts.consumption import (
    commune_consumption,
    contract_consumption,
    contracts_for,
)
from groupement.contracts.consumption_report import consumption_report
from groupement.contracts.models import Contract, ContractPrice, Delivery, Order, OrderLine
from groupement.contracts.order_file import order_pdf_file
from groupement.contracts.order_queries import list_orders, order_detail
from groupement.contracts.orders import InvalidOrder, place_order, record_delivery, submit_order
from groupement.core.access import Actor, OrganisationKind, Role, system_actor
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.timeutil import to_paris, utcnow
from groupement.lots.campaign_aggregation import aggregate_campaign
from groupement.lots.models import Lot
from groupement.organisations.families import Family

ADDRESS = "Mairie\n1 place de la Mairie\n38300 Bourgoin-Jallieu"


@dataclass
class Setting:
    contract: Contract
    laptop: ContractPrice  # 764,10 € + 1,00 € eco
    screen: ContractPrice  # 116,10 € + 0,50 € eco
    a: object
    b: object
    agent_a: Actor
    agent_a2: Actor
    signatory_a: Actor
    agent_b: Actor
    coordinator: Actor
    today: date


def actor(make, role, org) -> Actor:
    return make.user(role, org).actor


@pytest.fixture
def setting(make, database) -> Setting:
    """A contract (maximum 10 000 € HT) on laptops and screens; A needed 4 laptops and 6 screens,
    B 6 laptops. Both communes are members for every family."""
    capi = make.coordinator()
    group = make.groupement(capi)
    a = make.organisation(name="Artas", insee_code="38015")
    b = make.organisation(name="Bourgoin-Jallieu", insee_code="38053")
    make.membership(group, a)
    make.membership(group, b)
    laptop = make.item(ref="INF-PORT", unit_price_ht=Decimal("849.00"), eco_participation=Decimal("1.00"))
    screen = make.item(
        ref="INF-ECR",
        designation="Écran 24 pouces",
        cpv_code="30231300-0",
        unit_price_ht=Decimal("129.00"),
        eco_participation=Decimal("0.50"),
    )
    now = utcnow()
    campaign = make.campaign(
        group, [laptop, screen], opens_at=now - timedelta(days=90), closes_at=now - timedelta(days=60)
    )
    make.submission(campaign, a, {laptop: 4, screen: 6}, status=SubmissionStatus.VALIDATED)
    make.submission(campaign, b, {laptop: 6}, status=SubmissionStatus.VALIDATED)
    database.session.commit()
    aggregate_campaign(system_actor(campaign.groupement.coordinator_id), campaign.id)
    lot = database.session.scalars(select(Lot).where(Lot.campaign_id == campaign.id)).one()
    today = to_paris(now).date()  # executed since 50 days, for 48 months: open to orders today
    contract = make.contract(
        make.offer(lot, make.supplier()),
        maximum_amount=Decimal("10000"),
        notified_on=today - timedelta(days=60),
        start_date=today - timedelta(days=50),
    )
    database.session.commit()
    prices = {price.item_id: price for price in contract.prices}
    return Setting(
        contract=contract,
        laptop=prices[laptop.id],
        screen=prices[screen.id],
        a=a,
        b=b,
        agent_a=actor(make, Role.AGENT, a),
        agent_a2=actor(make, Role.AGENT, a),
        signatory_a=actor(make, Role.SIGNATORY, a),
        agent_b=actor(make, Role.AGENT, b),
        coordinator=actor(make, Role.COORDINATOR, capi),
        today=today,
    )


def count(database, model) -> int:
    return database.session.scalar(select(func.count()).select_from(model))


# --- placing orders ------------------------------------------------------------------------------------


def test_an_agent_places_an_order_priced_from_the_contract(setting, database):
    s = setting
    order = place_order(s.agent_a, s.contract.id, [(s.laptop.id, 2), (s.screen.id, "3")], f"  {ADDRESS}  ")

    assert order.number == f"BC-38015-{s.today.year}-0001"
    assert (order.commune_id, order.year, order.sequence) == (s.a.id, s.today.year, 1)
    assert order.delivery_address == ADDRESS
    lines = sorted(order.lines, key=lambda line: line.id)  # in the contract's order: the screen, then the laptop
    assert [(ln.quantity, ln.unit_price, ln.eco_participation, ln.vat_rate, ln.amount_ht) for ln in lines] == [
        (3, Decimal("116.1000"), Decimal("0.5000"), Decimal("20.00"), Decimal("349.80")),
        (2, Decimal("764.1000"), Decimal("1.0000"), Decimal("20.00"), Decimal("1530.20")),
    ]
    assert order.total_ht == Decimal("1880.00")
    event = database.session.scalars(select(AuditEvent).where(AuditEvent.action == "order.create")).one()
    assert event.object_id == str(order.id)
    assert event.after["number"] == order.number and event.after["total_ht"] == "1880.00"


# --- the execution period of the contract -------------------------------------------------------------


def dated(s: Setting, database, notified_on: date, start_date: date, duration_months: int = 48) -> None:
    s.contract.notified_on, s.contract.start_date, s.contract.duration_months = notified_on, start_date, duration_months
    database.session.commit()


def test_an_order_before_notification_is_refused(setting, database):
    """The issue's lot: notified on 15/12/2026, executed from 01/01/2027, ordered on 02/12/2026."""
    s = setting
    dated(s, database, date(2026, 12, 15), date(2027, 1, 1))
    with pytest.raises(ServiceError) as refused:
        place_order(s.agent_a, s.contract.id, [(s.laptop.id, 1)], ADDRESS, today=date(2026, 12, 2))
    assert f"le marché n° {s.contract.number} n'est notifié que le 15/12/2026" in str(refused.value)
    assert "du 01/01/2027 au 31/12/2030" in str(refused.value)
    assert count(database, Order) == 0


def test_an_order_before_execution_start_is_refused(setting, database):
    s = setting
    dated(s, database, date(2026, 12, 15), date(2027, 1, 1))
    with pytest.raises(ServiceError, match=r"ne commence que le 01/01/2027"):
        place_order(s.agent_a, s.contract.id, [(s.laptop.id, 1)], ADDRESS, today=date(2026, 12, 31))
    assert count(database, Order) == 0
    assert place_order(s.agent_a, s.contract.id, [(s.laptop.id, 1)], ADDRESS, today=date(2027, 1, 1)).year == 2027


def test_an_order_after_contract_end_is_refused(setting, database):
    s = setting
    dated(s, database, date(2026, 12, 15), date(2027, 1, 1), duration_months=12)
    assert place_order(s.agent_a, s.contract.id, [(s.laptop.id, 1)], ADDRESS, today=date(2027, 12, 31))
    with pytest.raises(ServiceError, match=r"a pris fin le 31/12/2027"):
        place_order(s.agent_a, s.contract.id, [(s.laptop.id, 1)], ADDRESS, today=date(2028, 1, 1))
    assert count(database, Order) == 1


def test_the_default_today_of_an_order_is_paris_today(setting, database):
    s = setting
    dated(s, database, s.today + timedelta(days=1), s.today + timedelta(days=10))
    with pytest.raises(ServiceError, match=r"n'est notifié que le"):
        place_order(s.agent_a, s.contract.id, [(s.laptop.id, 1)], ADDRESS)
    assert contracts_for(s.agent_a)[0].open_today is False


def test_the_prices_of_an_order_are_copies_that_later_contract_changes_do_not_touch(setting, database):
    s = setting
    order = place_order(s.agent_a, s.contract.id, [(s.laptop.id, 1)], ADDRESS)
    s.laptop.unit_price = Decimal("999.00")
    database.session.commit()
    database.session.expire_all()
    line = database.session.get(OrderLine, order.lines[0].id)
    assert (line.unit_price, line.amount_ht) == (Decimal("764.1000"), Decimal("765.10"))


def test_numbers_follow_a_sequence_per_commune_and_per_year(setting):
    s = setting
    first = place_order(s.agent_a, s.contract.id, [(s.laptop.id, 1)], ADDRESS, today=date(2027, 12, 31))
    second = place_order(s.agent_a2, s.contract.id, [(s.screen.id, 1)], ADDRESS, today=date(2027, 12, 31))
    other_commune = place_order(s.agent_b, s.contract.id, [(s.laptop.id, 1)], ADDRESS, today=date(2027, 12, 31))
    next_year = place_order(s.agent_a, s.contract.id, [(s.laptop.id, 1)], ADDRESS, today=date(2028, 1, 1))
    assert [first.number, second.number, other_commune.number, next_year.number] == [
        "BC-38015-2027-0001",
        "BC-38015-2027-0002",
        "BC-38053-2027-0001",
        "BC-38015-2028-0001",
    ]


def test_an_order_reaching_80_percent_of_the_maximum_is_placed_with_a_warning(setting):
    s = setting
    assert submit_order(s.agent_a, s.contract.id, [(s.laptop.id, 4)], ADDRESS).warnings == []  # 3 060,40 €
    assert submit_order(s.agent_b, s.contract.id, [(s.laptop.id, 6)], ADDRESS).warnings == []  # 7 651,00 €: 76,5 %
    assert contract_consumption(s.contract.id).warning is False

    alert = submit_order(s.agent_a, s.contract.id, [(s.screen.id, 3)], ADDRESS)  # + 349,80 € -> 8 000,80 €
    assert alert.order.id is not None
    assert alert.warnings == [
        f"Attention : le marché n° {s.contract.number} est consommé à 80\u00a0% de son montant maximum "
        "(8\u202f000,80\u00a0€ HT sur 10\u202f000,00\u00a0€ HT)."
    ]
    consumption = contract_consumption(s.contract.id)
    assert (consumption.maximum, consumption.ordered_ht, consumption.ratio, consumption.warning) == (
        Decimal("10000.00"),
        Decimal("8000.80"),
        Decimal("0.8001"),
        True,
    )
    assert consumption.remaining == Decimal("1999.20")


def test_an_order_beyond_the_maximum_is_refused_naming_the_remaining_amount_and_nothing_is_written(setting, database):
    s = setting
    place_order(s.agent_a, s.contract.id, [(s.laptop.id, 10)], ADDRESS)  # 7 651,00 €
    with pytest.raises(ServiceError) as refused:
        place_order(s.agent_b, s.contract.id, [(s.laptop.id, 3), (s.screen.id, 1)], ADDRESS)  # 2 411,90 €
    assert "Montant restant disponible : 2\u202f349,00\u00a0€ HT ; cette commande : 2\u202f411,90\u00a0€ HT." in str(
        refused.value
    )
    assert "au-delà du montant maximum de 10\u202f000,00\u00a0€ HT" in str(refused.value)
    assert count(database, Order) == 1
    assert count(database, OrderLine) == 1
    assert database.session.scalar(select(func.count()).where(AuditEvent.action == "order.create")) == 1
    assert place_order(s.agent_b, s.contract.id, [(s.laptop.id, 3)], ADDRESS).total_ht == Decimal("2295.30")


def test_ordering_beyond_the_communes_needs_is_only_a_warning(setting):
    s = setting
    placed = submit_order(s.agent_a, s.contract.id, [(s.laptop.id, 5)], ADDRESS)
    assert placed.order.total_ht == Decimal("3825.50")
    assert len(placed.warnings) == 1
    assert placed.warnings[0].startswith("Commande au-delà des besoins validés de la commune : INF-PORT")
    assert "5 commandés au total (besoin validé : 4, dépassement de 1)" in placed.warnings[0]
    use = commune_consumption(s.agent_a, s.contract.id)
    assert [(pl.line.ref[:7], pl.needed, pl.ordered, pl.over) for pl in use.lines] == [
        ("INF-ECR", 6, 0, 0),
        ("INF-POR", 4, 5, 1),
    ]
    assert use.needed_ht == Decimal("3760.00")  # 4 × 765,10 + 6 × 116,60
    assert use.ordered_ht == Decimal("3825.50")


@pytest.mark.parametrize(
    ("quantity", "message"),
    [(0, "au moins 1"), (-3, "négative"), (1_000_001, "invraisemblable"), ("2,5", "n'est pas un nombre entier")],
)
def test_quantities_must_be_positive_whole_numbers_up_to_a_million(setting, database, quantity, message):
    s = setting
    with pytest.raises(InvalidOrder) as refused:
        place_order(s.agent_a, s.contract.id, [(s.laptop.id, 1), (s.screen.id, quantity)], ADDRESS)
    assert message in refused.value.errors[s.screen.id]
    assert count(database, Order) == 0


def test_an_order_needs_a_line_of_this_contract_and_a_delivery_address(setting, database):
    s = setting
    with pytest.raises(ServiceError, match="au moins une quantité"):
        place_order(s.agent_a, s.contract.id, [], ADDRESS)
    with pytest.raises(ServiceError, match="n'appartient pas au marché"):
        place_order(s.agent_a, s.contract.id, [(999_999, 1)], ADDRESS)
    with pytest.raises(ServiceError, match="deux fois"):
        place_order(s.agent_a, s.contract.id, [(s.laptop.id, 1), (s.laptop.id, 2)], ADDRESS)
    with pytest.raises(ServiceError, match="adresse de livraison est obligatoire"):
        place_order(s.agent_a, s.contract.id, [(s.laptop.id, 1)], "   ")
    assert count(database, Order) == 0


# --- who may order ---------------------------------------------------------------------------------------


def test_a_signatory_or_the_coordinator_cannot_place_an_order(setting, database):
    s = setting
    for someone in (s.signatory_a, s.coordinator):
        with pytest.raises(Forbidden, match="Seul un agent communal"):
            place_order(someone, s.contract.id, [(s.laptop.id, 1)], ADDRESS)
    assert count(database, Order) == 0


def test_a_commune_not_joined_for_the_lots_family_is_refused(setting, make, database):
    s = setting
    membership = s.b.memberships[0]
    membership.families = frozenset({Family.FOURNITURES})
    database.session.commit()
    with pytest.raises(Forbidden, match="n'est pas membre du groupement pour la famille « Informatique »"):
        place_order(s.agent_b, s.contract.id, [(s.laptop.id, 1)], ADDRESS)
    assert [row.contract.id for row in contracts_for(s.agent_b)] == []
    assert [row.contract.id for row in contracts_for(s.agent_a)] == [s.contract.id]


def test_a_commune_that_left_the_groupement_cannot_order_any_more(setting, database):
    s = setting
    s.b.memberships[0].left_on = s.today
    database.session.commit()
    with pytest.raises(Forbidden):
        place_order(s.agent_b, s.contract.id, [(s.laptop.id, 1)], ADDRESS)


def test_an_agent_of_a_commune_outside_the_groupement_does_not_see_the_contract(setting, make, database):
    s = setting
    stranger = actor(make, Role.AGENT, make.organisation(name="Lyon"))
    database.session.commit()
    with pytest.raises(NotFound):
        place_order(stranger, s.contract.id, [(s.laptop.id, 1)], ADDRESS)
    assert contracts_for(stranger) == []


# --- reading orders ----------------------------------------------------------------------------------------


def test_a_commune_sees_its_own_orders_and_the_coordinator_all(setting, make, database):
    s = setting
    order_a = place_order(s.agent_a, s.contract.id, [(s.laptop.id, 1)], ADDRESS)
    order_b = place_order(s.agent_b, s.contract.id, [(s.laptop.id, 1)], ADDRESS)
    assert [row.order.id for row in list_orders(s.signatory_a)] == [order_a.id]
    assert [row.order.id for row in list_orders(s.agent_b)] == [order_b.id]
    assert {row.order.id for row in list_orders(s.coordinator)} == {order_a.id, order_b.id}
    other = actor(make, Role.COORDINATOR, make.organisation(OrganisationKind.COORDINATOR, name="Autre EPCI"))
    database.session.commit()
    assert list_orders(other) == []
    with pytest.raises(NotFound):
        order_detail(other, order_a.id)
    with pytest.raises(NotFound):
        order_detail(s.agent_b, order_a.id)
    with pytest.raises(NotFound):
        order_pdf_file(s.agent_b, order_a.id)
    assert order_detail(s.coordinator, order_a.id).can_deliver is False
    assert order_detail(s.signatory_a, order_a.id).can_deliver is True


def test_the_coordinator_sees_each_communes_orders_against_its_needs(setting):
    s = setting
    place_order(s.agent_a, s.contract.id, [(s.laptop.id, 5)], ADDRESS)
    report = consumption_report(s.coordinator, s.contract.id)
    assert report.orders == 1
    assert [(r.name, r.needed_ht, r.ordered_ht, r.over_lines) for r in report.communes.items] == [
        ("Artas", Decimal("3760.00"), Decimal("3825.50"), 1),
        ("Bourgoin-Jallieu", Decimal("4590.60"), Decimal("0.00"), 0),
    ]
    with pytest.raises(Forbidden):
        consumption_report(s.agent_a, s.contract.id)


def test_the_order_detail_totals_vat_per_rate(setting):
    s = setting
    order = place_order(s.agent_a, s.contract.id, [(s.laptop.id, 2), (s.screen.id, 3)], ADDRESS)
    detail = order_detail(s.agent_a, order.id)
    assert [(row.rate, row.base_ht, row.vat) for row in detail.vat] == [
        (Decimal("20.00"), Decimal("1880.00"), Decimal("376.00"))
    ]
    assert detail.total_ttc == Decimal("2256.00")
    content, filename = order_pdf_file(s.coordinator, order.id)
    assert content.startswith(b"%PDF") and filename == f"{order.number}.pdf"


# --- deliveries (service fait) -------------------------------------------------------------------------------


def test_partial_deliveries_add_up_to_the_quantity_ordered(setting, database):
    s = setting
    order = place_order(s.agent_a, s.contract.id, [(s.laptop.id, 5)], ADDRESS)
    line_id = order.lines[0].id
    record_delivery(s.agent_a, line_id, s.today, 2)
    detail = order_detail(s.agent_a, order.id)
    assert (detail.lines[0].delivered, detail.lines[0].remaining, detail.status.value) == (2, 3, "partial")
    record_delivery(s.signatory_a, line_id, s.today, 3)
    detail = order_detail(s.coordinator, order.id)
    assert (detail.lines[0].delivered, detail.lines[0].remaining, detail.status.value) == (5, 0, "delivered")
    events = database.session.scalars(select(AuditEvent).where(AuditEvent.action == "delivery.record")).all()
    assert [(e.before["delivered"], e.after["delivered"]) for e in events] == [(0, 2), (2, 5)]


def test_a_delivery_beyond_the_quantity_ordered_is_refused(setting, database):
    s = setting
    order = place_order(s.agent_a, s.contract.id, [(s.laptop.id, 5)], ADDRESS)
    line_id = order.lines[0].id
    record_delivery(s.agent_a, line_id, s.today, 4)
    with pytest.raises(ServiceError, match="2 reçus alors qu'il reste 1 à livrer sur 5 commandés"):
        record_delivery(s.agent_a, line_id, s.today, 2)
    assert count(database, Delivery) == 1


def test_a_delivery_date_in_the_future_or_before_the_order_is_refused(setting, database):
    s = setting
    order = place_order(s.agent_a, s.contract.id, [(s.laptop.id, 5)], ADDRESS)
    line_id = order.lines[0].id
    with pytest.raises(ServiceError, match="dans le futur"):
        record_delivery(s.agent_a, line_id, s.today + timedelta(days=1), 1)
    with pytest.raises(ServiceError, match="précéder la date du bon de commande"):
        record_delivery(s.agent_a, line_id, s.today - timedelta(days=1), 1)
    assert count(database, Delivery) == 0


def test_only_the_ordering_communes_users_record_deliveries(setting, database):
    s = setting
    order = place_order(s.agent_a, s.contract.id, [(s.laptop.id, 5)], ADDRESS)
    line_id = order.lines[0].id
    with pytest.raises(NotFound):
        record_delivery(s.agent_b, line_id, s.today, 1)
    with pytest.raises(Forbidden):
        record_delivery(s.coordinator, line_id, s.today, 1)
    assert count(database, Delivery) == 0


def test_a_number_taken_meanwhile_by_another_order_is_retried_once(setting, database, monkeypatch):
    """Two orders of a commune at the same instant compute the same sequence: the unique
    (commune, year, sequence) constraint refuses the second, which is retried with the next number."""
    from groupement.contracts import orders

    s = setting
    place_order(s.agent_a, s.contract.id, [(s.laptop.id, 1)], ADDRESS)
    real = orders._next_sequence
    stale = iter([1])
    monkeypatch.setattr(orders, "_next_sequence", lambda commune_id, year: next(stale, None) or real(commune_id, year))
    second = place_order(s.agent_a2, s.contract.id, [(s.screen.id, 1)], ADDRESS)
    assert second.sequence == 2
    assert count(database, Order) == 2
    always_stale = iter([1, 1])
    monkeypatch.setattr(orders, "_next_sequence", lambda commune_id, year: next(always_stale))
    with pytest.raises(ServiceError, match="au même instant : réessayez"):
        place_order(s.agent_a2, s.contract.id, [(s.screen.id, 1)], ADDRESS)
    assert count(database, Order) == 2
