"""Purchase orders over HTTP: the commune's contracts, the order form (prices from the contract,
not the form), the printable order and its PDF, deliveries, the coordinator's consumption page.

The world's contract: maximum 20 000 € HT; laptop 764,10 € + 1,00 € eco, screen 116,10 € + 0,50 €;
commune A already ordered 2 laptops and 3 screens (BC-…-0001, 1 880,00 € HT)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from groupement.contracts.models import Delivery, Order, OrderLine
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from tests.conftest import csrf_token_of


def post_form(client, page: str, action: str, **data):
    token = csrf_token_of(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data})


def followed(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return client.get(response.location).get_data(as_text=True)


def order_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order))


def new_order(world) -> str:
    return f"/commandes/nouvelle/{world.ids['contract']}"


def quantities(world, laptop: int | str = "", screen: int | str = "") -> dict[str, str]:
    return {
        f"quantite_{world.ids['contract_price']}": str(laptop),
        f"quantite_{world.ids['contract_price_2']}": str(screen),
    }


def test_an_agent_sees_the_contracts_open_to_its_commune_and_the_order_form(client_as, world):
    client = client_as("agent_a")
    listing = client.get("/commandes/marches").get_data(as_text=True)
    assert "Marchés ouverts à la commande" in listing
    assert "Informatique Dauphiné" in listing
    assert f'href="{new_order(world)}"' in listing
    assert '<svg class="gauge-bar gauge-ok"' in listing
    assert " style=" not in listing

    form = client.get(new_order(world)).get_data(as_text=True)
    assert "764,10\xa0€" in form and "116,10\xa0€" in form  # prices shown as text
    assert 'name="unit_price' not in form and 'name="prix' not in form  # ... and never as fields
    assert f'name="quantite_{world.ids["contract_price"]}"' in form
    assert f'name="quantite_{world.ids["contract_price_2"]}"' in form
    assert "Mairie de Commune A\nPlace de la Mairie\n38300 Bourgoin-Jallieu</textarea>" in form
    assert " style=" not in form


def test_an_agent_orders_at_the_contracts_prices_even_if_the_form_sends_others(client_as, world, app):
    client = client_as("agent_a")
    forged = {
        f"prix_{world.ids['contract_price']}": "1,00",
        "unit_price": "1.00",
        "amount_ht": "1.00",
        "delivery_address": "Services techniques\n12 rue de l'Église",
    }
    response = post_form(client, new_order(world), new_order(world), **quantities(world, laptop=1, screen=""), **forged)
    page = followed(client, response)
    with app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        line = db.session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).one()
        assert (line.quantity, line.unit_price, line.amount_ht) == (1, Decimal("764.1000"), Decimal("765.10"))
        assert order.number.endswith("-0002")  # the world's order is -0001
        assert order.delivery_address == "Services techniques\n12 rue de l'Église"
    assert response.location.endswith(f"/commandes/{order.id}")
    assert f"Bon de commande {order.number} enregistré : 765,10\xa0€ HT." in page


def test_an_unreadable_quantity_comes_back_with_its_error_and_nothing_is_written(client_as, world, app):
    client = client_as("agent_a")
    before = order_count(app)
    response = post_form(
        client, new_order(world), new_order(world), **quantities(world, laptop="2,5"), delivery_address="Mairie"
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "« 2,5 » n&#39;est pas un nombre entier." in page
    assert 'aria-invalid="true"' in page
    nothing = post_form(client, new_order(world), new_order(world), **quantities(world), delivery_address="Mairie")
    assert nothing.status_code == 422
    assert "Indiquez au moins une quantité à commander." in nothing.get_data(as_text=True)
    assert order_count(app) == before


def test_an_order_beyond_the_maximum_is_refused_with_the_remaining_amount(client_as, world, app):
    client = client_as("agent_b")
    before = order_count(app)
    response = post_form(
        client, new_order(world), new_order(world), **quantities(world, laptop=24), delivery_address="Mairie de B"
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Commande refusée" in page
    assert "Montant restant disponible : 18\u202f120,00\xa0€ HT ; cette commande : 18\u202f362,40\xa0€ HT." in page
    assert order_count(app) == before


def test_an_order_past_80_percent_is_placed_with_a_warning_and_needs_overruns_are_signalled(client_as, world):
    client = client_as("agent_b")
    # 19 laptops: 14 536,90 € -> 16 416,90 € ordered, 82 % of 20 000 €; B had asked for 6 laptops.
    response = post_form(
        client, new_order(world), new_order(world), **quantities(world, laptop=19), delivery_address="Mairie de B"
    )
    page = followed(client, response)
    assert 'class="flash flash-warning"' in page
    assert (
        "est consommé à 82,1\xa0% de son montant maximum (16\u202f416,90\xa0€ HT sur 20\u202f000,00\xa0€ HT)." in page
    )
    assert "Commande au-delà des besoins validés de la commune" in page
    assert "19 commandés au total (besoin validé : 6, dépassement de 13)" in page


def test_the_order_page_is_printable_with_totals_and_a_pdf(client_as, world):
    client = client_as("signatory_a")
    page = client.get(f"/commandes/{world.ids['order_a']}").get_data(as_text=True)
    assert "Bon de commande BC-" in page and "-0001" in page
    assert "1\u202f880,00\xa0€" in page  # total HT
    assert "376,00\xa0€" in page  # VAT 20 %
    assert "2\u202f256,00\xa0€" in page  # total TTC
    assert f'href="/commandes/{world.ids["order_a"]}/bon.pdf"' in page
    assert 'class="delivery-form no-print"' in page  # a user of A records deliveries
    assert " style=" not in page
    pdf = client.get(f"/commandes/{world.ids['order_a']}/bon.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert "-0001.pdf" in pdf.headers["Content-Disposition"]


def test_the_coordinator_reads_the_order_without_a_delivery_form(client_as, world):
    page = client_as("coordinator").get(f"/commandes/{world.ids['order_a']}").get_data(as_text=True)
    assert "Commune A" in page
    assert "delivery-form" not in page


def test_a_partial_delivery_then_an_over_delivery_refused(client_as, world, app):
    client = client_as("signatory_a")
    show = f"/commandes/{world.ids['order_a']}"
    action = f"/commandes/lignes/{world.ids['order_line_a']}/livraison"
    with app.app_context():
        line = db.session.get(OrderLine, world.ids["order_line_a"])
        ordered = line.quantity
    today = paris_today().isoformat()
    page = followed(client, post_form(client, show, action, delivered_on=today, quantity="1"))
    assert "Livraison enregistrée : 1 reçu le" in page
    assert f"1 / {ordered}" in page
    assert "Livraison partielle" in page
    refused = followed(client, post_form(client, show, action, delivered_on=today, quantity=str(ordered)))
    assert "Livraison supérieure à la commande" in refused
    blank = post_form(client, show, action, delivered_on=today, quantity="")
    assert blank.status_code == 422 and "La quantité reçue est obligatoire." in blank.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 1


def test_orders_lists_are_scoped_to_the_commune(client_as, world):
    own = client_as("agent_a").get("/commandes").get_data(as_text=True)
    other = client_as("agent_b").get("/commandes").get_data(as_text=True)
    coordinator = client_as("coordinator").get("/commandes").get_data(as_text=True)
    link = f'href="/commandes/{world.ids["order_a"]}"'
    assert link in own and link in coordinator and link not in other
    assert "Aucun bon de commande pour le moment." in other
    assert '<th scope="col">Commune</th>' in coordinator


def test_the_coordinator_follows_the_consumption_of_the_contract(client_as, world):
    page = client_as("coordinator").get(f"/contrats/{world.ids['contract']}/consommation").get_data(as_text=True)
    assert "Consommation du marché" in page
    assert "9,4\xa0%" in page  # 1 880,00 € on 20 000 €
    assert '<rect class="gauge-fill" x="0" y="0" width="18.8"' in page
    assert "Commune A" in page and "Commune B" in page
    assert " style=" not in page
    listing = client_as("accountant").get("/commandes/marches").get_data(as_text=True)
    assert f'href="/contrats/{world.ids["contract"]}/consommation"' in listing


def contract_dated(app, world, notified_in: int, starts_in: int) -> tuple:
    """The world's contract notified and started `notified_in`/`starts_in` days from today."""
    from datetime import timedelta

    from groupement.contracts.models import Contract

    today = paris_today()
    with app.app_context():
        contract = db.session.get(Contract, world.ids["contract"])
        contract.notified_on = today + timedelta(days=notified_in)
        contract.start_date = today + timedelta(days=starts_in)
        db.session.commit()
        return contract.notified_on, contract.start_date, contract.execution_period.end, contract.number


def test_an_order_before_the_execution_period_is_a_french_flash_and_nothing_is_written(client_as, world, app):
    notified_on, start, _, number = contract_dated(app, world, notified_in=13, starts_in=30)
    client = client_as("agent_a")
    before = order_count(app)
    form = client.get(new_order(world)).get_data(as_text=True)
    assert f"n&#39;est notifié que le {notified_on:%d/%m/%Y}" in form  # said before the agent fills it in
    response = post_form(
        client, new_order(world), new_order(world), **quantities(world, laptop=1), delivery_address="Mairie"
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert (
        f'<div class="flash flash-error" role="alert">Commande refusée : le marché n° {number} '
        f"n&#39;est notifié que le {notified_on:%d/%m/%Y}"
    ) in page
    assert order_count(app) == before
    listing = client.get("/commandes/marches").get_data(as_text=True)
    assert f'href="{new_order(world)}"' not in listing
    assert f"Commandes à partir du {start:%d/%m/%Y}" in listing


def test_the_contract_page_shows_its_execution_period_and_whether_it_can_be_ordered_today(client_as, world, app):
    client = client_as("agent_a")
    page = client.get(f"/contrats/{world.ids['contract']}").get_data(as_text=True)
    assert "Période d'exécution" in page
    assert "Commandes possibles aujourd'hui" in page
    _, start, end, _ = contract_dated(app, world, notified_in=-5, starts_in=10)
    page = client.get(f"/contrats/{world.ids['contract']}").get_data(as_text=True)
    assert f"du {start:%d/%m/%Y} au {end:%d/%m/%Y} (48 mois)" in page
    assert f"Pas encore de commande possible : commandes à partir du {start:%d/%m/%Y}." in page
