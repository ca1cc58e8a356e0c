"""Award, contracts and savings pages over HTTP: award a published lot to the best ranked offer or
to another with a justification, declare one unsuccessful, read the contracts and their prices,
the savings of a campaign (page, chart, Excel) and the savings tile of the coordinator's home page."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from groupement.contracts.models import Contract
from groupement.core import formatting
from groupement.core.files.xlsx import XLSX_MIMETYPE
from groupement.extensions import db
from groupement.lots.edits import publish_lot
from groupement.lots.models import Lot
from groupement.lots.rules import LotStatus
from groupement.organisations.user_models import User
from groupement.tenders.models import AwardCriteria
from tests import factories
from tests.conftest import csrf_token_of

D = Decimal


@pytest.fixture
def offers(app, world) -> dict[str, int]:
    """Lot 1 of the aggregated campaign (laptops, screens) published, criteria 60/30/10, two scored
    offers: Alpes Bureautique cheaper and better scored (ranked first), Rhône Informatique."""
    with app.app_context():
        make = factories
        coordinator = db.session.scalar(select(User).where(User.email == world.emails["coordinator"]))
        publish_lot(coordinator.actor, world.ids["lot"])
        lot = db.session.get(Lot, world.ids["lot"])
        db.session.add(
            AwardCriteria(lot_id=lot.id, price_weight=D(60), technical_weight=D(30), environmental_weight=D(10))
        )
        cheap = make.offer(
            lot, make.supplier(name="Alpes Bureautique"), technical_score=D("25"), environmental_score=D("8")
        )
        dear = make.offer(
            lot,
            make.supplier(name="Rhône Informatique"),
            prices={line: line.estimated_unit_price for line in lot.lines},
            technical_score=D("20"),
            environmental_score=D("6"),
        )
        db.session.commit()
        return {"lot": lot.id, "cheap": cheap.id, "dear": dear.id, "campaign": lot.campaign_id}


def post_form(client, page: str, action: str, **data):
    token = csrf_token_of(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data})


def award_data(offer_id: int, **extra) -> dict:
    return {"offer_id": str(offer_id), "notified_on": "2027-02-15", "start_date": "2027-03-01", **extra}


def test_the_award_page_ranks_the_offers_and_preselects_the_best(client_as, offers):
    page = client_as("coordinator").get(f"/lots/{offers['lot']}/attribution").get_data(as_text=True)
    assert page.index("Alpes Bureautique") < page.index("Rhône Informatique")
    assert re.search(rf'<input checked [^>]*type="radio" value="{offers["cheap"]}"', page)
    assert "mieux classée" in page
    assert "Déclarer le lot infructueux" in page
    assert "Marché passé sans publicité ni mise en concurrence préalable" in page
    assert " style=" not in page


def test_the_accountant_reads_the_award_page_without_the_forms(client_as, offers):
    page = client_as("accountant").get(f"/lots/{offers['lot']}/attribution").get_data(as_text=True)
    assert "Alpes Bureautique" in page
    assert "Attribuer et créer l&#39;accord-cadre" not in page
    assert "Déclarer infructueux" not in page


def test_the_coordinator_awards_the_best_offer_and_lands_on_the_contract(app, client_as, offers):
    client = client_as("coordinator")
    award_url = f"/lots/{offers['lot']}/attribution"
    response = post_form(client, award_url, award_url, **award_data(offers["cheap"]))
    assert response.status_code == 302
    contract_page = client.get(response.location).get_data(as_text=True)
    number = f"2027-{offers['campaign']}-L01"
    assert f"accord-cadre n° {number}" in contract_page
    assert "Alpes Bureautique" in contract_page
    assert "764,10" in contract_page  # 849,00 less 10 %
    assert "15/02/2027" in contract_page and "01/03/2027" in contract_page
    with app.app_context():
        contract = db.session.scalar(select(Contract).where(Contract.number == number))
        assert contract.lot.status is LotStatus.AWARDED
        contract_id = contract.id
    lot_page = client.get(f"/lots/{offers['lot']}").get_data(as_text=True)
    assert "Voir la décision d'attribution" in lot_page
    decided = client.get(award_url).get_data(as_text=True)
    assert f'href="/contrats/{contract_id}"' in decided
    assert "Attribuer et créer" not in decided


def test_another_offer_without_justification_comes_back_with_the_message_and_the_values(app, client_as, offers):
    client = client_as("coordinator")
    award_url = f"/lots/{offers['lot']}/attribution"
    refused = post_form(client, award_url, award_url, **award_data(offers["dear"], number="AC-LOT-1"))
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Cette offre n&#39;est pas la mieux classée : la justification du choix est obligatoire." in page
    assert 'value="AC-LOT-1"' in page
    accepted = post_form(
        client,
        award_url,
        award_url,
        **award_data(offers["dear"], number="AC-LOT-1", justification="Délais de livraison non tenus."),
    )
    assert accepted.status_code == 302
    assert "Délais de livraison non tenus." in client.get(accepted.location).get_data(as_text=True)


def test_an_incomplete_form_lists_its_errors(client_as, offers):
    client = client_as("coordinator")
    award_url = f"/lots/{offers['lot']}/attribution"
    response = post_form(client, award_url, award_url, offer_id=str(offers["cheap"]))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "La date de notification est obligatoire." in page
    assert "La date de début d&#39;exécution est obligatoire." in page


def test_the_lot_is_declared_unsuccessful_with_its_reason(app, client_as, offers):
    client = client_as("coordinator")
    award_url = f"/lots/{offers['lot']}/attribution"
    empty = post_form(client, award_url, f"/lots/{offers['lot']}/infructueux")
    assert empty.status_code == 422  # the award page again, the error beside the reason
    assert "Le motif de l&#39;infructuosité est obligatoire." in empty.get_data(as_text=True)
    done = post_form(client, award_url, f"/lots/{offers['lot']}/infructueux", reason="Offres hors budget.")
    page = client.get(done.location).get_data(as_text=True)
    assert "Lot n° 1 déclaré infructueux." in page
    assert "Offres hors budget." in page
    with app.app_context():
        assert db.session.get(Lot, offers["lot"]).status is LotStatus.UNSUCCESSFUL


def test_a_draft_lot_shows_no_award_form(client_as, world):
    page = client_as("coordinator").get(f"/lots/{world.ids['lot']}/attribution").get_data(as_text=True)
    assert "Le lot est en préparation" in page
    assert "Attribuer et créer" not in page


# --- contracts ----------------------------------------------------------------------------------------


def test_a_commune_agent_reads_the_contracts_and_their_prices(app, client_as, world):
    with app.app_context():
        contract = db.session.get(Contract, world.ids["contract"])
        number, period = contract.number, contract.execution_period
    client = client_as("agent_b")
    listing = client.get("/contrats").get_data(as_text=True)
    assert number in listing and "Informatique Dauphiné" in listing
    assert f"du {period.start:%d/%m/%Y} au {period.end:%d/%m/%Y}" in listing
    assert "Économies réalisées" not in listing  # the coordinator's side
    page = client.get(f"/contrats/{world.ids['contract']}").get_data(as_text=True)
    assert "Accord-cadre n° " + number in page
    assert formatting.euros(D("20000")) in page
    assert "764,10\xa0€" in page and "116,10\xa0€" in page
    assert "Consommation du montant maximum" not in page  # the coordinator's page
    download = client.get(f"/contrats/{world.ids['contract']}/prix.xlsx")
    assert download.mimetype == XLSX_MIMETYPE
    sheet = load_workbook(io.BytesIO(download.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Référence", "Désignation", "Unité", "Prix unitaire HT")
    assert sorted(row[3] for row in rows[1:]) == [pytest.approx(116.10), pytest.approx(764.10)]


def test_unit_prices_keep_their_four_decimals_on_the_contract_page(app, client_as, world):
    with app.app_context():
        contract = db.session.get(Contract, world.ids["contract"])
        contract.prices[0].unit_price = D("0.3333")
        db.session.commit()
    page = client_as("coordinator").get(f"/contrats/{world.ids['contract']}").get_data(as_text=True)
    assert "0,3333\xa0€" in page


# --- savings ------------------------------------------------------------------------------------------


def test_the_savings_page_shows_lots_communes_and_a_chart(client_as, world):
    # Laptops 10 × 850,00 → 765,10 ; screens 6 × 129,50 → 116,60:
    # estimated 9 277,00, awarded 8 350,60, saved 926,40 (9,99 %).
    client = client_as("accountant")
    page = client.get(f"/campagnes/{world.ids['contract_campaign']}/economies").get_data(as_text=True)
    for amount in ("9277", "8350.60", "926.40"):
        assert formatting.euros(D(amount)) in page
    assert "9,99\xa0%" in page
    assert "Commune A" in page and "Commune B" in page
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bars"' in page
    assert 'href="/campagnes/{}/economies.xlsx"'.format(world.ids["contract_campaign"]) in page
    assert " style=" not in page


def test_the_savings_file_opens_in_excel_with_the_figures(client_as, world):
    response = client_as("coordinator").get(f"/campagnes/{world.ids['contract_campaign']}/economies.xlsx")
    assert response.mimetype == XLSX_MIMETYPE
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    summary = {row[0]: row[1] for row in book["Synthèse"].iter_rows(min_row=2, values_only=True)}
    assert summary["Économies réalisées HT (annuelles)"] == pytest.approx(926.40)
    communes = [row[0] for row in book["Par commune"].iter_rows(min_row=2, values_only=True)]
    assert communes == ["Commune A", "Commune B", "Total"]


def test_a_campaign_without_contracts_says_so(client_as, world):
    page = client_as("coordinator").get(f"/campagnes/{world.ids['lots_campaign']}/economies").get_data(as_text=True)
    assert "Aucun lot de cette campagne n&#39;est encore attribué" in page
    assert "Lots sans accord-cadre" in page


def test_the_coordinators_home_page_shows_the_savings_and_the_communes_do_not(client_as, world):
    home = client_as("coordinator").get("/").get_data(as_text=True)
    assert "Économies et surcoûts" in home
    assert formatting.euros(D("926.40")) in home
    assert "d'économie par rapport à l'estimation" in home
    assert f'href="/campagnes/{world.ids["contract_campaign"]}/economies"' in home
    assert 'id="graphique-economies-titre"' in home
    assert "Économies et surcoûts" not in client_as("agent_a").get("/").get_data(as_text=True)


def test_the_contract_number_is_never_longer_than_sixteen_characters(app, client_as, offers):
    client = client_as("coordinator")
    award_url = f"/lots/{offers['lot']}/attribution"
    response = post_form(client, award_url, award_url, **award_data(offers["cheap"], number="X" * 17))
    assert response.status_code == 422
    assert "16 caractères au plus" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Contract).where(Contract.lot_id == offers["lot"])) is None


def test_the_savings_page_compares_to_the_previous_campaign_prices(client_as, offers):
    # The aggregated campaign's earlier sibling ("Recensement attribué", 2026) awarded the same laptops
    # and screens: its contract's prices (not its estimates) are the previous prices of lot 1.
    client = client_as("coordinator")
    award_url = f"/lots/{offers['lot']}/attribution"
    assert post_form(client, award_url, award_url, **award_data(offers["cheap"])).status_code == 302
    page = client.get(f"/campagnes/{offers['campaign']}/economies").get_data(as_text=True)
    assert "Aux prix 2026 HT" in page
    assert "par rapport aux prix des marchés de\n    « Recensement attribué »" in page
    assert "<td>Prix des marchés</td>" in page
    assert "2 lignes sur 2 :\n      2 au prix du marché, 0 à l'estimation faute de marché" in page
    assert "Lot 2 « Impression et numérisation » : en préparation" in page


def test_the_commune_chart_shows_savings_or_pairs_when_a_commune_pays_more():
    from groupement.savings.report import CommuneRow
    from groupement.savings.rules import Comparison, Totals
    from groupement.savings.web import commune_bars

    def row(n: int, estimated: str, awarded: str) -> CommuneRow:
        return CommuneRow(n, f"Commune {n}", None, Totals(estimate=Comparison(D(estimated), D(awarded))))

    rows = [row(1, "100.00", "90.00"), row(2, "300.00", "250.00"), row(3, "50.00", "45.00")]
    bars, title = commune_bars(rows, limit=2)
    assert title == "Économies HT annuelles par commune"
    assert bars == [("Commune 2", D("50.00")), ("Commune 1", D("10.00")), ("Autres communes (1)", D("5.00"))]
    rows.append(row(4, "10.00", "12.00"))
    bars, title = commune_bars(rows, limit=2)
    assert title == "Montant HT annuel estimé et attribué par commune"
    assert bars[:2] == [("Commune 2 — estimé", D("300.00")), ("Commune 2 — attribué", D("250.00"))]
    assert bars[-2:] == [("Autres communes (2) — estimé", D("60.00")), ("Autres communes (2) — attribué", D("57.00"))]


def test_the_coordinator_sets_the_contracts_price_type_on_its_page(client_as, world, app):
    from groupement.contracts.models import Contract
    from groupement.contracts.rules import PriceType
    from groupement.extensions import db

    client = client_as("coordinator")
    url = f"/contrats/{world.ids['contract']}"
    page = client.get(url).get_data(as_text=True)
    assert "Prix ferme" in page and "pas encore publiées" in page
    refused = post_form(client, url, f"{url}/type-de-prix", price_type="Provisoire")
    assert refused.status_code == 302
    assert "Type de prix inconnu « Provisoire »" in client.get(url).get_data(as_text=True)
    done = post_form(client, url, f"{url}/type-de-prix", price_type="Définitif révisable")
    page = client.get(done.location).get_data(as_text=True)
    assert "enregistré : prix révisable." in page
    with app.app_context():
        assert db.session.get(Contract, world.ids["contract"]).price_type is PriceType.REVISABLE
    assert 'action="/contrats/' not in client_as("accountant").get(url).get_data(as_text=True)
