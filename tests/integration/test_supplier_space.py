"""The supplier space (issue 17): scope by construction for two suppliers of one coordinator and
one of another, the acknowledgment once, the delivery date by compare-and-set, declared
deliveries (partial, never beyond the order, still certified by the commune), the invoicing
view, the invitation, and the shop's basket placed as one order per contract."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from groupement.campaigns.rules import SubmissionStatus
from groupement.contracts.models import Contract, Delivery, Order
from groupement.contracts.orders import place_order
from groupement.core.access import Actor, Role, system_actor
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.timeutil import paris_today, utcnow
from groupement.extensions import db
from groupement.invoices.service_fait import certify_delivery, commune_deliveries
from groupement.lots.campaign_aggregation import aggregate_campaign
from groupement.lots.models import Lot
from groupement.suppliers import accounts, invoicing, orders, scope, shop, space
from groupement.suppliers.models import BasketLine, DeclaredDelivery, OrderAcknowledgment


@dataclass
class Bench:
    agent: Actor
    signatory: Actor
    coordinator: Actor
    accountant: Actor
    supplier_a: Actor  # holds contract_a
    supplier_b: Actor  # the same coordinator's other supplier: contract_b
    other_supplier: Actor  # another coordinator's supplier
    contract_a: Contract
    contract_b: Contract
    order_a: Order
    order_b: Order
    other_order: Order


def _actor(user) -> Actor:
    return user.actor


def _awarded(make, group, commune, items, supplier, maximum=Decimal("20000")) -> Contract:
    now = utcnow()
    campaign = make.campaign(group, items, opens_at=now - timedelta(days=120), closes_at=now - timedelta(days=90))
    make.submission(campaign, commune, {i: 4 for i in items}, status=SubmissionStatus.VALIDATED)
    aggregate_campaign(system_actor(group.coordinator_id), campaign.id)
    lot = make.database.session.scalars(select(Lot).where(Lot.campaign_id == campaign.id)).one()
    today = now.date()
    return make.contract(
        make.offer(lot, supplier),
        maximum_amount=maximum,
        notified_on=today - timedelta(days=60),
        start_date=today - timedelta(days=50),
    )


@pytest.fixture
def bench(database, make) -> Bench:
    make.database = database
    capi = make.coordinator()
    commune = make.organisation(name="Commune A")
    group = make.groupement(capi)
    make.membership(group, commune, signed_on=utcnow().date() - timedelta(days=400))
    agent = make.user(Role.AGENT, commune)
    signatory = make.user(Role.SIGNATORY, commune)
    laptop = make.item(designation="Ordinateur portable 14 pouces", ref="INF-PORT")
    screen = make.item(designation="Écran 24 pouces", ref="INF-ECR", unit_price_ht=Decimal("129.00"))
    chair = make.item(designation="Écran de projection", ref="MOB-PROJ", unit_price_ht=Decimal("300.00"))
    supplier_a, supplier_b = make.supplier(name="Informatique Dauphiné"), make.supplier(name="Projections Alpes")
    contract_a = _awarded(make, group, commune, [laptop, screen], supplier_a)
    contract_b = _awarded(make, group, commune, [chair], supplier_b)
    other = make.coordinator(name="Autre coordonnateur", siren="200066793", siret=None)
    other_commune = make.organisation(name="Commune autre")
    other_group = make.groupement(other)
    make.membership(other_group, other_commune, signed_on=utcnow().date() - timedelta(days=400))
    other_supplier = make.supplier(other, name="Fournisseur de l'autre")
    other_contract = _awarded(make, other_group, other_commune, [laptop], other_supplier)
    bench_agent = _actor(agent)
    order_a = place_order(bench_agent, contract_a.id, [(contract_a.prices[0].id, 3)], "Mairie de Commune A")
    order_b = place_order(bench_agent, contract_b.id, [(contract_b.prices[0].id, 1)], "Mairie de Commune A")
    other_agent = _actor(make.user(Role.AGENT, other_commune))
    other_order = place_order(other_agent, other_contract.id, [(other_contract.prices[0].id, 1)], "Mairie autre")
    return Bench(
        agent=bench_agent,
        signatory=_actor(signatory),
        coordinator=_actor(make.user(Role.COORDINATOR, capi)),
        accountant=_actor(make.user(Role.ACCOUNTANT, capi)),
        supplier_a=_actor(make.supplier_user(supplier_a)),
        supplier_b=_actor(make.supplier_user(supplier_b)),
        other_supplier=_actor(make.supplier_user(other_supplier)),
        contract_a=contract_a,
        contract_b=contract_b,
        order_a=order_a,
        order_b=order_b,
        other_order=other_order,
    )


# --- scope -----------------------------------------------------------------------------------


def test_a_supplier_reaches_its_own_contracts_and_orders_only(bench):
    rows = space.order_rows(bench.supplier_a)
    assert [r.order.id for r in rows] == [bench.order_a.id]
    assert [c.id for c in db.session.scalars(space.supplier_contracts(bench.supplier_a))] == [bench.contract_a.id]
    for foreign in (bench.order_b.id, bench.other_order.id):
        with pytest.raises(NotFound):
            space.order_view(bench.supplier_a, foreign)
        with pytest.raises(NotFound):
            orders.acknowledge_order(bench.supplier_a, foreign)
    with pytest.raises(NotFound):
        space.contract_view(bench.supplier_a, bench.contract_b.id)
    with pytest.raises(NotFound):
        orders.declare_delivery(bench.supplier_b, bench.order_a.lines[0].id, paris_today(), 1)


def test_the_buyers_roles_reach_nothing_through_the_supplier_scope_and_the_supplier_nothing_of_theirs(bench):
    from groupement.campaigns.scope import campaigns
    from groupement.contracts.order_queries import orders_in_scope
    from groupement.organisations.scope import organisations, reachable_organisations

    db = scope.db
    for buyer in (bench.agent, bench.coordinator, bench.accountant):
        assert db.session.scalars(scope.orders(buyer)).all() == []
        with pytest.raises(NotFound):
            space.home(buyer)
    # The supplier's user belongs to the coordinator's organisation but reaches none of its data.
    assert reachable_organisations(bench.supplier_a) == frozenset()
    assert db.session.scalars(organisations(bench.supplier_a)).all() == []
    assert db.session.scalars(campaigns(bench.supplier_a)).all() == []
    assert db.session.scalars(orders_in_scope(bench.supplier_a)).all() == []


# --- acknowledgment, delivery date, declared deliveries -----------------------------------------


def test_an_order_is_acknowledged_once_and_its_date_moves_by_compare_and_set(bench, database):
    planned = paris_today() + timedelta(days=5)
    ack = orders.acknowledge_order(bench.supplier_a, bench.order_a.id, planned)
    assert ack.planned_delivery_on == planned
    with pytest.raises(orders.AlreadyAcknowledged, match="déjà été accusé reçu"):
        orders.acknowledge_order(bench.supplier_a, bench.order_a.id)
    count = database.session.scalar(select(func.count()).select_from(OrderAcknowledgment))
    assert count == 1
    seen = ack.version
    orders.plan_delivery(bench.supplier_a, bench.order_a.id, planned + timedelta(days=2), seen)
    with pytest.raises(ServiceError, match="modifiée entre-temps"):
        orders.plan_delivery(bench.supplier_a, bench.order_a.id, planned + timedelta(days=9), seen)
    assert ack.planned_delivery_on == planned + timedelta(days=2)
    with pytest.raises(ServiceError, match="précéder la date du bon de commande"):
        orders.plan_delivery(bench.supplier_a, bench.order_a.id, paris_today() - timedelta(days=400), ack.version)


def test_deliveries_are_declared_partly_never_beyond_the_order_and_the_commune_still_certifies(bench, database):
    line = bench.order_a.lines[0]  # 3 ordered
    today = paris_today()
    with pytest.raises(ServiceError, match="Accusez d'abord réception"):
        orders.declare_delivery(bench.supplier_a, line.id, today, 1)
    orders.acknowledge_order(bench.supplier_a, bench.order_a.id)
    first = orders.declare_delivery(bench.supplier_a, line.id, today, 2)
    with pytest.raises(ServiceError) as refused:
        orders.declare_delivery(bench.supplier_a, line.id, today, 5)
    assert "5 reçus alors qu'il reste 1 à livrer sur 3 commandés" in str(refused.value)
    assert database.session.scalar(select(func.sum(Delivery.quantity)).where(Delivery.order_line_id == line.id)) == 2
    declared = database.session.scalars(select(DeclaredDelivery)).all()
    assert [d.delivery_id for d in declared] == [first.id]
    view = space.order_view(bench.supplier_a, bench.order_a.id)
    (delivery,) = view.lines[0].deliveries
    assert delivery.declared and not delivery.certified
    # The commune sees it awaiting its certification, certifies it, and it becomes invoiceable.
    rows = commune_deliveries(bench.agent)
    assert [(r.delivery.id, r.certification) for r in rows] == [(first.id, None)]
    assert invoicing.to_invoice(bench.supplier_a) == []
    certify_delivery(bench.signatory, first.id)
    (to_invoice,) = invoicing.to_invoice(bench.supplier_a)
    assert (to_invoice.order.number, to_invoice.certified, to_invoice.remaining) == (bench.order_a.number, 2, 2)
    assert space.order_view(bench.supplier_a, bench.order_a.id).lines[0].deliveries[0].certified


# --- invitation ----------------------------------------------------------------------------------


def test_the_coordinator_invites_a_supplier_user_with_a_link_that_sets_the_password(bench, database, monkeypatch):
    from groupement.organisations.users import authenticate, reset_password

    sent = []
    monkeypatch.setattr(accounts, "send_mail", lambda to, subject, body: sent.append((to, subject, body)))
    supplier_id = bench.contract_a.supplier_id
    user = accounts.invite_supplier_user(
        bench.coordinator, supplier_id, " Lea.Martin@Dauphine.fr ", "Léa Martin", lambda t: f"https://x/r/{t}"
    )
    assert (user.email, user.role) == ("lea.martin@dauphine.fr", Role.SUPPLIER)
    ((to, subject, body),) = sent
    assert to == ["lea.martin@dauphine.fr"] and "Informatique Dauphiné" in subject
    token = body.split("https://x/r/")[1].split()[0]
    reset_password(token, "Cheval-Agrafe-Orage-97", "Cheval-Agrafe-Orage-97")
    assert authenticate("lea.martin@dauphine.fr", "Cheval-Agrafe-Orage-97") is not None
    assert [r.order.id for r in space.order_rows(user.actor)] == [bench.order_a.id]
    assert [u.email for u in accounts.supplier_accounts(bench.coordinator, supplier_id)][-1] == user.email
    with pytest.raises(ServiceError, match="existe déjà"):
        accounts.invite_supplier_user(bench.coordinator, supplier_id, user.email, "Autre", lambda t: t)
    with pytest.raises(Forbidden):
        accounts.invite_supplier_user(bench.accountant, supplier_id, "a@b.fr", "Comptable", lambda t: t)
    with pytest.raises(NotFound):  # a supplier record of another coordinator
        accounts.invite_supplier_user(bench.coordinator, 999_999, "c@d.fr", "Personne", lambda t: t)


# --- the shop ------------------------------------------------------------------------------------


def test_the_search_ignores_accents_and_the_basket_becomes_one_order_per_contract(bench, database):
    found = shop.search(bench.agent, "ecran")
    assert {o.lot_line.designation for o in found} == {"Écran 24 pouces", "Écran de projection"}
    assert shop.search(bench.agent, "%") == []  # a wildcard is a character to find
    for offer in found:
        shop.add_to_basket(bench.agent, offer.price.id, "2")
    shop.add_to_basket(bench.agent, found[0].price.id, 1)  # adds up
    groups = shop.basket(bench.agent)
    assert sorted(len(g.lines) for g in groups) == [1, 1]
    before = database.session.scalar(select(func.count()).select_from(Order))
    placed = shop.place_basket(bench.agent, "Mairie de Commune A")
    assert len(placed) == 2
    assert {p.order.contract_id for p in placed} == {bench.contract_a.id, bench.contract_b.id}
    assert database.session.scalar(select(func.count()).select_from(Order)) == before + 2
    assert database.session.scalars(select(BasketLine)).all() == []
    with pytest.raises(ServiceError, match="panier est vide"):
        shop.place_basket(bench.agent, "Mairie de Commune A")


def test_a_basket_over_the_maximum_is_refused_with_the_figures_and_kept(bench, database):
    price = bench.contract_b.prices[0]
    shop.add_to_basket(bench.agent, price.id, "500")  # far over the 20 000 € maximum
    (group,) = shop.basket(bench.agent)
    assert any("montant maximum" in w for w in group.warnings)
    assert any("besoin validé de 4" in w for w in group.warnings)
    with pytest.raises(ServiceError, match="au-delà du montant maximum") as refused:
        shop.place_basket(bench.agent, "Mairie de Commune A")
    assert "Aucune commande n'a été passée" in str(refused.value)
    assert len(database.session.scalars(select(BasketLine)).all()) == 1


def test_only_agents_shop_and_only_in_their_communes_contracts(bench):
    with pytest.raises(Forbidden):
        shop.search(bench.signatory, "ecran")
    with pytest.raises(Forbidden):
        shop.add_to_basket(bench.supplier_a, bench.contract_a.prices[0].id, 1)
    other_price = bench.other_order.lines[0].contract_price_id
    with pytest.raises(NotFound):
        shop.add_to_basket(bench.agent, other_price, 1)
    for raw in ("0", "-1", "1e3", "１２", "99999999"):
        with pytest.raises(ServiceError, match="nombre entier"):
            shop.add_to_basket(bench.agent, bench.contract_a.prices[0].id, raw)


# --- the order notice ------------------------------------------------------------------------------


def test_the_notice_leaves_after_the_commit_only_and_a_mail_failure_keeps_the_order(bench, database, monkeypatch):
    from groupement.core import mail

    sent = []
    monkeypatch.setattr(mail, "send_mail", lambda to, subject, body: sent.append((to, subject)))
    database.session.commit()  # the bench's own orders: notified now
    sent.clear()
    price = bench.contract_a.prices[0].id
    order = place_order(bench.agent, bench.contract_a.id, [(price, 1)], "Mairie de Commune A")
    assert sent == []  # flushed (its savepoint released), not committed
    database.session.rollback()
    database.session.commit()
    assert sent == []  # rolled back: nothing to tell
    order = place_order(bench.agent, bench.contract_a.id, [(price, 1)], "Mairie de Commune A")
    number = order.number
    database.session.commit()
    supplier_email = database.session.get(scope.User, bench.supplier_a.user_id).email
    assert sent == [([supplier_email], f"Nouveau bon de commande n° {number} — marché n° {bench.contract_a.number}")]

    def refuse(to, subject, body):
        raise ServiceError("Courriel non envoyé : le serveur de messagerie est injoignable.")

    monkeypatch.setattr(mail, "send_mail", refuse)
    order = place_order(bench.agent, bench.contract_a.id, [(price, 1)], "Mairie de Commune A")
    order_id = order.id
    number = order.number
    database.session.commit()  # the failure is logged
    assert database.session.get(Order, order_id) is not None
    assert mail.failed_after_commit() == [
        f"Avis au fournisseur du bon de commande {number} : "
        "Courriel non envoyé : le serveur de messagerie est injoignable."
    ]


def test_a_savepoint_undone_after_an_order_keeps_its_notice(bench, database, monkeypatch):
    from groupement.core import mail, transaction

    sent = []
    monkeypatch.setattr(mail, "send_mail", lambda to, subject, body: sent.append(subject))
    database.session.commit()
    sent.clear()
    price = bench.contract_a.prices[0].id
    order = place_order(bench.agent, bench.contract_a.id, [(price, 1)], "Mairie de Commune A")
    number = order.number
    with pytest.raises(RuntimeError), transaction.savepoint():  # a later step of the same unit fails
        raise RuntimeError("étape suivante refusée")
    database.session.commit()
    assert sent == [f"Nouveau bon de commande n° {number} — marché n° {bench.contract_a.number}"]
