"""The contract's life over HTTP: the coordinator's life page (renewals, amendments, revision),
refusals shown with their figures and nothing written, odd values bounded, the execution report
with its chart and .xlsx, a commune seeing its own line only."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from groupement.contracts.life_models import ContractAmendment, PriceIndexValue
from groupement.contracts.models import Contract
from groupement.core.files.xlsx import XLSX_MIMETYPE
from groupement.extensions import db
from tests.conftest import csrf_token_of


def _post(client, path: str, data: dict, page: str):
    token = csrf_token_of(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=True)


def _text(response) -> str:
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\u00a0", " ")


def test_the_life_page_shows_its_three_sections_to_the_coordinator_side(client_as, world):
    path = f"/contrats/{world.ids['contract']}/vie"
    for principal in ("coordinator", "accountant"):
        page = _text(client_as(principal).get(path))
        assert "Reconductions" in page and "Avenants" in page and "Révision des prix" in page
        assert ("Enregistrer l'avenant" in page) is (principal == "coordinator")


def test_an_amendment_past_the_limits_is_refused_with_the_figures_and_nothing_is_written(app, client_as, world):
    client = client_as("coordinator")
    page = f"/contrats/{world.ids['contract']}/vie"
    path = f"/contrats/{world.ids['contract']}/avenants"
    refused = _post(client, path, {"amount_ht": "2 500", "ground": "R2194-8", "notified_on": "2026-12-01"}, page)
    text = _text(refused)
    assert "Avenant refusé" in text and "2 500,00 €" in text and "2 000,00 €" in text  # 10 % of 20 000
    with app.app_context():
        assert db.session.query(ContractAmendment).count() == 0
        assert db.session.get(Contract, world.ids["contract"]).maximum_amount == Decimal("20000")
    accepted = _post(client, path, {"amount_ht": "1 500", "ground": "R2194-8", "notified_on": "2026-12-01"}, page)
    assert "Avenant n° 1 enregistré : nouveau montant maximum 21 500,00 €" in _text(accepted)


def test_odd_values_are_refused_in_french_never_a_500(app, client_as, world):
    client = client_as("coordinator")
    contract = world.ids["contract"]
    page = f"/contrats/{contract}/vie"
    _post(
        client,
        f"/contrats/{contract}/reconduction/clause",
        {"renewal_count": "1", "renewal_months": "12", "notice_months": "3"},
        page,
    )
    formula = {
        "fixed_part": "0,15",
        "index_code": "ICHT-IME",
        "weight": "0,85",
        "base_month": "2026-01-01",
        "period_months": "12",
    }
    assert "Formule de révision enregistrée" in _text(
        _post(client, f"/contrats/{contract}/revision/formule", formula, page)
    )
    for value in ("1e30", "NaN", "-1", "²", "１２", "0,00001", "x" * 100):
        response = _post(
            client,
            f"/contrats/{contract}/revision/indices",
            {"index_code": "ICHT-IME", "month": "2026-01-01", "value": value},
            page,
        )
        if response.status_code == 422:  # refused by the form (too long): beside the field
            assert '<ul class="errors" id="index_value_value-errors">' in _text(response), value
        else:  # refused by the rule that reads the figure: the banner
            assert response.status_code == 200 and 'flash-error" role="alert">Valeur : ' in _text(response), value
    for data in (
        {"renewal_count": "99", "renewal_months": "12", "notice_months": "3"},
        {"renewal_count": "4", "renewal_months": "12", "notice_months": "3"},
    ):
        response = _post(client, f"/contrats/{contract}/reconduction/clause", data, page)
        assert response.status_code in (200, 422)  # the form's bounds, then the rule of 48 months
    assert "au plus 48 mois" in _text(response)
    far = _post(
        client,
        f"/contrats/{contract}/avenants",
        {"amount_ht": "1", "ground": "R2194-8", "notified_on": "9999-12-31"},
        page,
    )
    assert "Date entre 1990 et 2100" in _text(far)
    with app.app_context():
        assert db.session.query(PriceIndexValue).count() == 0


def test_an_index_file_with_errors_names_rows_and_columns_and_writes_nothing(app, client_as, world):
    client = client_as("coordinator")
    contract = world.ids["contract"]
    page = f"/contrats/{contract}/vie"
    formula = {
        "fixed_part": "0,15",
        "index_code": "ICHT-IME",
        "weight": "0,85",
        "base_month": "2026-01-01",
        "period_months": "12",
    }
    _post(client, f"/contrats/{contract}/revision/formule", formula, page)
    token = csrf_token_of(client.get(page).get_data(as_text=True))
    content = b"indice;mois;valeur\nICHT-IME;01/2026;100\nICHT-IME;13/2026;101\n"
    response = client.post(
        f"/contrats/{contract}/revision/indices/import",
        data={"csrf_token": token, "file": (io.BytesIO(content), "indices.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    text = _text(response)
    assert "Import refusé" in text and "indices.csv, ligne 3, colonne « mois »" in text
    with app.app_context():
        assert db.session.query(PriceIndexValue).count() == 0


def test_the_execution_report_shows_each_commune_to_the_coordinator_and_its_own_line_to_a_commune(client_as, world):
    path = f"/contrats/{world.ids['contract']}/execution"
    coordinator = _text(client_as("coordinator").get(path))
    assert "Commune A" in coordinator and "Commune B" in coordinator and "<svg" in coordinator
    assert "Montant maximum" in coordinator
    commune = _text(client_as("agent_a").get(path))
    assert "Commune A" in commune and "Commune B" not in commune
    download = client_as("coordinator").get(path + ".xlsx")
    assert download.status_code == 200 and download.mimetype == XLSX_MIMETYPE
    rows = list(load_workbook(io.BytesIO(download.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Commune" and rows[-1][0] == "Total"
    ordered = {row[0]: row[2] for row in rows[1:]}
    assert ordered["Commune B"] == 0 and ordered["Commune A"] == ordered["Total"] > 0


def test_the_order_form_says_why_the_prices_are_not_revised_when_an_index_is_missing(client_as, world):
    client = client_as("coordinator")
    contract = world.ids["contract"]
    page = f"/contrats/{contract}/vie"
    start = "2026-01-01"  # monthly revisions from the contract's start (50 days ago): one is due
    formula = {
        "fixed_part": "0,15",
        "index_code": "ICHT-IME",
        "weight": "0,85",
        "base_month": start,
        "period_months": "1",
    }
    _post(client, f"/contrats/{contract}/revision/formule", formula, page)
    life = _text(client.get(page))
    assert "Prix non révisés : la révision n° 1" in life
    order_form = _text(client_as("agent_a").get(f"/commandes/nouvelle/{contract}"))
    assert (
        "Prix non révisés : la révision n° 1" in order_form and "indices non saisis : ICHT-IME de 01/2026" in order_form
    )


def test_the_coordinator_sets_the_contracts_nature_and_the_amendment_limits_follow_it(app, client_as, world):
    client = client_as("coordinator")
    contract = world.ids["contract"]
    show = f"/contrats/{contract}"
    assert "Marché de fournitures : sans autre fondement (R2194-8)" in _text(client.get(f"{show}/vie"))
    saved = _text(_post(client, f"{show}/nature", {"nature": "travaux"}, show))
    assert "enregistrée : travaux" in saved and '<dd class="contract-nature">Travaux</dd>' in saved
    life = _text(client.get(f"{show}/vie"))
    assert "Marché de travaux : sans autre fondement (R2194-8), les modifications cumulées restent sous 15 %" in life
    assert "(3 000,00 € HT)" in life and "5 404 000,00 €" in life  # 15 % of 20 000; works threshold of 2026
    refused = _text(_post(client, f"{show}/nature", {"nature": "immobilier"}, show))
    assert "Nature du marché inconnue" in refused
    with app.app_context():
        assert db.session.get(Contract, contract).nature.value == "travaux"
