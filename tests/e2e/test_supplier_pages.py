"""The supplier space over HTTP (issue 17): the order notice over real SMTP, the supplier's home
and its tasks, the acknowledgment clicked twice, a delivery beyond the order, the invitation's
link, and the shop's basket placed from the pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from groupement.contracts.models import Delivery, Order
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.suppliers.models import DeclaredDelivery, OrderAcknowledgment
from tests.conftest import csrf_token_of
from tests.integration.test_reminders import Collector, body_of, start_server


@pytest.fixture
def smtp(app, monkeypatch):
    handler = Collector()
    controller = start_server(handler)
    for key, value in {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": controller.port,
        "MAIL_USE_TLS": False,
        "MAIL_USERNAME": "",
        "MAIL_SENDER": "commandes@capi38.fr",
        "PUBLIC_URL": "https://groupement.capi38.fr",
    }.items():
        monkeypatch.setitem(app.config, key, value)
    yield handler
    controller.stop()


def post_form(client, page: str, action: str, **data):
    token = csrf_token_of(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data})


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_new_order_notifies_the_suppliers_users_over_smtp(client_as, world, smtp):
    client = client_as("agent_a")
    page = f"/commandes/nouvelle/{world.ids['contract']}"
    fields = {f"quantite_{world.ids['contract_price']}": "1", "delivery_address": "Mairie de Commune A"}
    response = post_form(client, page, page, **fields)
    assert response.status_code == 302
    (message,) = smtp.messages()
    assert message["To"] == world.emails["supplier_a"]
    body = body_of(message)
    assert "Nouveau bon de commande n° BC-" in message["Subject"]
    order_id = int(response.location.rsplit("/", 1)[1])
    assert f"https://groupement.capi38.fr/espace-fournisseur/commandes/{order_id}" in body
    assert "765,10\xa0€ HT" in body


def test_a_refused_order_notifies_nobody(client_as, world, smtp):
    client = client_as("agent_a")
    page = f"/commandes/nouvelle/{world.ids['contract']}"
    response = post_form(
        client, page, page, **{f"quantite_{world.ids['contract_price']}": "99", "delivery_address": "Mairie"}
    )
    assert response.status_code == 422  # beyond the maximum
    assert smtp.messages() == []


def test_the_supplier_acknowledges_from_its_home_once_and_declares_a_partial_delivery(client_as, world, app):
    client = client_as("supplier_a")
    home = client.get("/").get_data(as_text=True)
    assert "Espace fournisseur — Informatique Dauphiné" in home
    order_page = f"/espace-fournisseur/commandes/{world.ids['order_a']}"
    assert f'href="{order_page}"' in home and 'data-kind="acknowledge"' in home
    action = f"{order_page}/accuse-reception"
    token = csrf_token_of(client.get(order_page).get_data(as_text=True))
    planned = paris_today().isoformat()
    first = client.post(action, data={"csrf_token": token, "planned_delivery_on": planned})
    second = client.post(action, data={"csrf_token": token, "planned_delivery_on": planned})  # a double click
    assert (first.status_code, second.status_code) == (302, 302)
    page = client.get(order_page).get_data(as_text=True)
    assert "déjà été accusé reçu" in page
    assert count(app, OrderAcknowledgment) == 1
    # 3 screens ordered on the world's first line: 4 is refused with the figures, 1 is declared (partial).
    line = world.ids["order_line_a"]
    declare = f"/espace-fournisseur/lignes/{line}/livraison"
    today = paris_today().isoformat()
    client.post(declare, data={"csrf_token": token, "delivered_on": today, "quantity": "4"})
    refused = client.get(order_page).get_data(as_text=True)
    assert "Livraison supérieure à la commande : 4 reçus alors qu&#39;il reste 3 à livrer sur 3 commandés." in refused
    client.post(declare, data={"csrf_token": token, "delivered_on": today, "quantity": "1"})
    page = client.get(order_page).get_data(as_text=True)
    assert "déclarée par le fournisseur" in page and "service fait à certifier par la commune" in page
    assert (count(app, Delivery), count(app, DeclaredDelivery)) == (1, 1)
    assert 'data-kind="deliver"' in client.get("/").get_data(as_text=True)
    # The commune sees it as declared by the supplier, still to certify.
    commune = client_as("signatory_a").get("/ma-commune/service-fait").get_data(as_text=True)
    assert "déclarée par le fournisseur" in commune and "Certifier le service fait" in commune


def test_the_invitation_link_sets_the_password_and_opens_the_supplier_space(client_as, world, smtp, app):
    coordinator = client_as("coordinator")
    accounts = f"/fournisseurs/{world.ids['supplier']}/comptes"
    response = post_form(
        coordinator, accounts, f"{accounts}/inviter", name="Léa Martin", email="lea.martin@dauphine.fr"
    )
    assert response.status_code == 302
    assert "lea.martin@dauphine.fr" in coordinator.get(accounts).get_data(as_text=True)
    (message,) = smtp.messages()
    link = re.search(r"https://groupement\.capi38\.fr(/reinitialisation/\S+)", body_of(message)).group(1)
    visitor = app.test_client()
    token = csrf_token_of(visitor.get(link).get_data(as_text=True))
    password = "Cheval-Agrafe-Orage-97"
    done = visitor.post(link, data={"csrf_token": token, "password": password, "confirm": password})
    assert done.status_code == 302
    token = csrf_token_of(visitor.get("/connexion").get_data(as_text=True))
    visitor.post("/connexion", data={"csrf_token": token, "email": "lea.martin@dauphine.fr", "password": password})
    home = visitor.get("/").get_data(as_text=True)
    assert "Espace fournisseur — Informatique Dauphiné" in home
    assert visitor.get("/campagnes").status_code == 403
    # An invitation with a bad address comes back with its error, nothing written.
    refused = post_form(coordinator, accounts, f"{accounts}/inviter", name="X", email="pas-une-adresse")
    assert refused.status_code == 422 and "invalide" in refused.get_data(as_text=True)


def test_an_agent_fills_the_basket_from_the_search_and_places_it(client_as, world, app):
    client = client_as("agent_a")
    found = client.get("/boutique?q=ECRAN").get_data(as_text=True)
    assert "INF-ECRAN" in found
    before = count(app, Order)
    price = str(world.ids["contract_price"])
    post_form(client, "/boutique", "/boutique/panier/ajouter", contract_price_id=price, quantity="1")
    basket = client.get("/boutique/panier").get_data(as_text=True)
    assert "Passer 1 bon de commande" in basket
    address = "Mairie de Commune A"
    response = post_form(client, "/boutique/panier", "/boutique/panier/commander", delivery_address=address)
    assert response.status_code == 302
    assert count(app, Order) == before + 1
    assert "Votre panier est vide" in client.get("/boutique/panier").get_data(as_text=True)
