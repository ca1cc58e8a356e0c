"""Odd values in forms and URLs (issue 13, items 3 and 7): a French message and a 4xx or the form
shown again, never a 500, and nothing written. The form fuzzer (test_form_fuzzer.py) sends many
more; these are the cases of the issue, one by one."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from groupement.campaigns.models import NeedLine
from groupement.catalog.models import CatalogItem
from groupement.extensions import db
from groupement.invoices.models import Payment
from groupement.lots.models import Lot
from groupement.tenders.models import Supplier
from tests.conftest import csrf_token_of

TOO_BIG = ["1e30", "9" * 30, "1e999999"]
MESSAGES = {"9" * 30: "Nombre trop grand : 999999999999,99 au plus."}  # exponents are not typed numbers


def _token(client) -> str:
    return csrf_token_of(client.get("/").get_data(as_text=True))


def _beside(response, field_id: str) -> str:
    """The errors shown beside a field of a page refused with its form again (422)."""
    page = html.unescape(response.get_data(as_text=True))
    found = re.search(rf'<ul class="errors" id="{field_id}-errors">(.*?)</ul>', page, re.S)
    return found.group(1) if found else ""


def _flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _, message in session.pop("_flashes", [])]


def _scalar(app, statement):
    with app.app_context():
        return db.session.scalar(statement)


# --- money fields ------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", TOO_BIG)
def test_a_lot_maximum_too_big_for_its_column_is_refused_in_french(app, client_as, world, amount):
    client = client_as("coordinator")
    lot_id = world.ids["lot"]
    response = client.post(
        f"/lots/{lot_id}/parametres",
        data={"csrf_token": _token(client), "duration_months": "24", "margin_percent": "10", "maximum_amount": amount},
    )
    assert response.status_code == 422  # the lot's page again, the message beside the maximum
    assert MESSAGES.get(amount, "Nombre attendu, par exemple 12,5.") in _beside(response, "maximum_amount")
    assert _scalar(app, select(Lot.maximum_amount).where(Lot.id == lot_id)) is None


def test_a_lot_maximum_of_a_tenth_of_a_millionth_is_refused_before_the_check_constraint(app, client_as, world):
    client = client_as("coordinator")
    lot_id = world.ids["lot"]
    response = client.post(
        f"/lots/{lot_id}/parametres",
        data={
            "csrf_token": _token(client),
            "duration_months": "24",
            "margin_percent": "10",
            "maximum_amount": "0,0000001",
        },
    )
    assert response.status_code == 422
    assert "2 décimales au plus." in _beside(response, "maximum_amount")
    assert _scalar(app, select(Lot.maximum_amount).where(Lot.id == lot_id)) is None


@pytest.mark.parametrize("amount", [*TOO_BIG, "0,001", "NaN", "inf", "１２"])
def test_an_odd_payment_amount_is_refused_in_french_and_nothing_is_recorded(app, client_as, world, amount):
    client = client_as("accountant")
    payments = _scalar(app, select(func.count()).select_from(Payment))
    response = client.post(
        f"/factures/titres/{world.ids['title_a']}/encaissement",
        data={"csrf_token": _token(client), "paid_on": "2026-11-28", "amount": amount, "reference": "VIR-1"},
    )
    assert response.status_code == 422  # the invoice page again, the message beside the amount
    page = html.unescape(response.get_data(as_text=True))
    beside = re.search(rf'<ul class="errors" id="montant-{world.ids["title_a"]}-errors">(.*?)</ul>', page, re.S)
    assert beside and "Erreur : " in beside.group(1), page[-2000:]
    assert MESSAGES.get(amount, "") in beside.group(1)
    assert _scalar(app, select(func.count()).select_from(Payment)) == payments


def test_a_payment_within_the_column_is_still_recorded(app, client_as, world):
    client = client_as("accountant")
    response = client.post(
        f"/factures/titres/{world.ids['title_a']}/encaissement",
        data={"csrf_token": _token(client), "paid_on": "2026-11-28", "amount": "1 0,50 €", "reference": "VIR-2"},
    )
    assert response.status_code == 302
    assert _scalar(app, select(Payment.amount).where(Payment.reference == "VIR-2")) == Decimal("10.50")


# --- ids in URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["0", "-1", "2147483648", str(10**30), "１"])
def test_an_id_beyond_the_database_integer_in_a_url_is_a_404(client_as, world, bad):
    client = client_as("coordinator")
    for path in (f"/lots/{bad}", f"/campagnes/{bad}", f"/contrats/{bad}", f"/factures/{bad}"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page introuvable" in response.get_data(as_text=True)


def test_the_largest_database_integer_is_a_plain_not_found(client_as, world):
    assert client_as("coordinator").get("/lots/2147483647").status_code == 404


@pytest.mark.parametrize("bad", ["2147483648", str(10**30), "²", "-1"])
def test_an_id_beyond_range_in_the_query_string_is_a_404(client_as, world, bad):
    response = client_as("accountant").get(f"/factures/titres.csv?facture={bad}")
    assert response.status_code == 404


def test_a_commune_beyond_range_in_the_needs_export_is_a_404(client_as, world):
    response = client_as("coordinator").get(
        f"/campagnes/{world.ids['campaign']}/besoins/export.xlsx?commune=2147483648"
    )
    assert response.status_code == 404


def test_a_huge_page_number_in_the_catalog_gives_the_first_page(client_as, world):
    response = client_as("agent_a").get("/catalogue?page=" + "9" * 30)
    assert response.status_code == 200


# --- digits that are not ASCII -----------------------------------------------------------------


def _grid_post(client, world, quantity: str, query: str = ""):
    campaign, item = world.ids["campaign"], world.ids["item"]
    page = client.get(f"/campagnes/{campaign}/besoins").get_data(as_text=True)
    data = {"csrf_token": csrf_token_of(page), f"q-{item}": quantity, f"c-{item}": "", f"v-{item}": "1"}
    return client.post(f"/campagnes/{campaign}/besoins{query}", data=data)


def _quantity(app, world) -> int:
    """Commune A's quantity of the item in the open campaign: the laptop has lines in the other
    campaigns too, and which one an unordered query returns first is the planner's choice."""
    return _scalar(
        app,
        select(NeedLine.quantity).where(
            NeedLine.submission_id == world.ids["submission_a"], NeedLine.item_id == world.ids["item"]
        ),
    )


@pytest.mark.parametrize("quantity", ["²", "１２", "٣", "9" * 30, "1e3"])
def test_a_quantity_in_superscript_full_width_or_arabic_digits_is_refused_in_the_grid(app, client_as, world, quantity):
    client = client_as("agent_a")
    before = _quantity(app, world)
    response = _grid_post(client, world, quantity)
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "n'est pas un nombre entier" in page or "quantité invraisemblable" in page
    assert _quantity(app, world) == before


def test_an_order_quantity_in_full_width_digits_is_refused(app, client_as, world):
    from groupement.contracts.models import Order

    client = client_as("agent_a")
    path = f"/commandes/nouvelle/{world.ids['contract']}"
    token = csrf_token_of(client.get(path).get_data(as_text=True))
    orders = _scalar(app, select(func.count()).select_from(Order))
    response = client.post(
        path,
        data={"csrf_token": token, "delivery_address": "Mairie", f"quantite_{world.ids['contract_price']}": "１２"},
    )
    assert response.status_code == 422
    assert "n'est pas un nombre entier" in html.unescape(response.get_data(as_text=True))
    assert _scalar(app, select(func.count()).select_from(Order)) == orders


@pytest.mark.parametrize("duration", ["²", "１２", "9" * 30])
def test_an_odd_duration_in_the_lot_form_is_refused_in_french(app, client_as, world, duration):
    client = client_as("coordinator")
    lot_id = world.ids["lot"]
    before = _scalar(app, select(Lot.duration_months).where(Lot.id == lot_id))
    response = client.post(
        f"/lots/{lot_id}/parametres",
        data={"csrf_token": _token(client), "duration_months": duration, "margin_percent": "10"},
    )
    assert response.status_code == 422
    beside = _beside(response, "duration_months")
    assert "mois" in beside or "entier" in beside, beside
    assert _scalar(app, select(Lot.duration_months).where(Lot.id == lot_id)) == before


def test_a_superscript_lot_id_in_the_move_form_is_refused(app, client_as, world):
    client = client_as("coordinator")
    response = client.post(
        f"/campagnes/{world.ids['lots_campaign']}/lots/deplacer",
        data={"csrf_token": _token(client), "line_ids": str(world.ids["lot_line"]), "target": "²"},
    )
    assert response.status_code == 422  # the lots page again, the message beside the target
    assert "Lot de destination invalide." in _beside(response, "target")


# --- NUL bytes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/catalogue?q=a%00b", "/factures?q=%00", "/campagnes/1/besoins?famille=%00"])
def test_a_nul_byte_in_a_search_is_a_400_in_french(client_as, world, path):
    response = client_as("admin").get(path)
    assert response.status_code == 400
    assert "caractère interdit (octet nul)" in response.get_data(as_text=True)


def test_a_nul_byte_in_a_comment_is_a_400_and_nothing_changes(app, client_as, world):
    client = client_as("signatory_a")
    campaign = world.ids["campaign"]
    token = csrf_token_of(client.get(f"/campagnes/{campaign}/besoins").get_data(as_text=True))
    response = client.post(f"/campagnes/{campaign}/besoins/renvoyer", data={"csrf_token": token, "comment": "a\x00b"})
    assert response.status_code == 400
    assert "octet nul" in response.get_data(as_text=True)


def test_a_nul_byte_in_a_supplier_name_is_a_400_and_no_supplier_is_created(app, client_as, world):
    client = client_as("coordinator")
    token = csrf_token_of(client.get("/fournisseurs/nouveau").get_data(as_text=True))
    suppliers = _scalar(app, select(func.count()).select_from(Supplier))
    response = client.post(
        "/fournisseurs/nouveau", data={"csrf_token": token, "name": "Nul\x00SA", "siret": "73282932000074"}
    )
    assert response.status_code == 400
    assert _scalar(app, select(func.count()).select_from(Supplier)) == suppliers


def test_a_nul_byte_in_an_uploaded_file_name_is_a_400(client_as, world):
    from io import BytesIO

    client = client_as("accountant")
    token = csrf_token_of(client.get("/factures/import").get_data(as_text=True))
    response = client.post(
        "/factures/import", data={"csrf_token": token, "file": (BytesIO(b"<x/>"), "fac\x00ture.xml")}
    )
    assert response.status_code == 400


# --- the post-save redirect --------------------------------------------------------------------


def test_query_arguments_of_the_grid_do_not_break_the_redirect_after_a_save(app, client_as, world):
    client = client_as("agent_a")
    response = _grid_post(client, world, "7", f"?q=ordi&famille=informatique&campaign_id=99&x={'9' * 50}")
    assert response.status_code == 302
    assert response.location.endswith(f"/campagnes/{world.ids['campaign']}/besoins?q=ordi&famille=informatique")
    assert _quantity(app, world) == 7


def test_an_unknown_family_in_the_grid_query_is_dropped_from_the_redirect(app, client_as, world):
    response = _grid_post(client_as("agent_a"), world, "8", "?famille=%C2%B2")
    assert response.status_code == 302
    assert response.location.endswith(f"/campagnes/{world.ids['campaign']}/besoins")


# --- LIKE wildcards ----------------------------------------------------------------------------


def _catalog_refs(client, query: str) -> list[str]:
    page = client.get("/catalogue", query_string={"q": query}).get_data(as_text=True)
    return [ref for ref in ("INF-ECRAN", "INF-IMPR", "FOU-PAPIER") if ref in page]


@pytest.mark.parametrize("wildcard", ["%", "_", "\\", "%%", "INF_ECRAN"])
def test_a_wildcard_in_the_catalog_search_matches_only_itself(client_as, world, wildcard):
    assert _catalog_refs(client_as("agent_a"), wildcard) == []


def test_a_per_cent_sign_in_a_designation_is_found_by_searching_for_it(app, client_as, world):
    with app.app_context():
        db.session.get(CatalogItem, world.ids["item"]).designation = "Portable remisé 10 % inclus"
        db.session.commit()
    page = client_as("agent_a").get("/catalogue", query_string={"q": "10 %"}).get_data(as_text=True)
    assert "Portable remisé 10 % inclus" in page


@pytest.mark.parametrize("wildcard", ["%", "_"])
def test_a_wildcard_in_the_invoice_search_matches_nothing(client_as, world, wildcard):
    page = client_as("accountant").get("/factures", query_string={"q": wildcard}).get_data(as_text=True)
    every = client_as("accountant").get("/factures").get_data(as_text=True)
    assert '/factures/1"' in every or f'/factures/{world.ids["invoice"]}"' in every
    assert f'/factures/{world.ids["invoice"]}"' not in page
