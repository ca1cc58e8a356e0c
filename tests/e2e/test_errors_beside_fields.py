"""Form errors beside their fields (issue 16): every error at once, each beside its field, the
input pointing to it (aria-describedby, aria-invalid), a count above the form with links to the
fields; supplier, campaign, order and settings forms."""

from __future__ import annotations

import re
from html import unescape

from tests.conftest import csrf_token_of


def _post(client, page: str, data: dict, action: str | None = None, **options):
    token = csrf_token_of(client.get(page).get_data(as_text=True))
    return client.post(action or page, data={"csrf_token": token, **data}, **options)


def _field_block(html: str, field_id: str) -> str:
    match = re.search(rf'<div class="field field-error" id="{field_id}-field">(.*?)</div>', html, re.S)
    assert match, f"le champ {field_id} n'est pas marqué en erreur"
    return match.group(1)


def _assert_beside(html: str, field_id: str, message: str) -> None:
    block = _field_block(html, field_id)
    assert re.search(rf'id="{field_id}"[^>]*aria-describedby="[^"]*{field_id}-errors', block) or re.search(
        rf'aria-describedby="[^"]*{field_id}-errors[^"]*"[^>]*id="{field_id}"', block
    ), block
    assert 'aria-invalid="true"' in block
    assert f'<ul class="errors" id="{field_id}-errors">' in block
    assert message in unescape(block)


def _summary(html: str) -> str:
    match = re.search(r'<div class="errors-summary notice" role="alert"[^>]*>(.*?)</div>', html, re.S)
    assert match, "aucun résumé des erreurs au-dessus du formulaire"
    return match.group(1)


def test_the_supplier_form_shows_each_error_beside_its_field_all_at_once(client_as, world):
    response = _post(
        client_as("coordinator"),
        "/fournisseurs/nouveau",
        {"name": "", "siret": "", "contact_email": "pas-une-adresse", "postcode": "9" * 11},
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    _assert_beside(html, "name", "La raison sociale est obligatoire.")
    _assert_beside(html, "siret", "Le SIRET est obligatoire (14 chiffres).")
    _assert_beside(html, "postcode", "10 caractères au plus.")
    _assert_beside(html, "contact_email", "")
    summary = _summary(html)
    assert "4 erreurs : voir ci-dessous." in summary
    for field_id in ("name", "siret", "postcode", "contact_email"):
        assert f'<a href="#{field_id}">' in summary
    assert 'class="flash' not in html or "La raison sociale est obligatoire." not in html.split("<main")[0]


def test_the_campaign_form_shows_its_errors_beside_the_fields(client_as, world):
    response = _post(
        client_as("coordinator"),
        "/campagnes/nouvelle",
        {"title": "", "year": "deux mille", "opens_at": "", "closes_at": "2027-02-01T09:00"},
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    _assert_beside(html, "title", "")
    _assert_beside(html, "year", "")
    _assert_beside(html, "opens_at", "")
    summary = _summary(html)
    assert re.search(r"\d+ erreurs : voir ci-dessous\.", summary)
    assert '<a href="#title">' in summary and '<a href="#year">' in summary


def test_the_order_form_shows_the_address_error_beside_it_and_the_form_wide_error_above(client_as, world):
    page = f"/commandes/nouvelle/{world.ids['contract']}"
    client = client_as("agent_a")
    response = _post(
        client,
        page,
        {
            "delivery_address": "",
            "engagement_number": "E" * 200,
            f"quantite_{world.ids['contract_price']}": "",
        },
    )

    assert response.status_code in (200, 422)
    html = response.get_data(as_text=True)
    _assert_beside(html, "delivery_address", "L'adresse de livraison est obligatoire.")
    _assert_beside(html, "engagement_number", "")
    assert "2 erreurs : voir ci-dessous." in _summary(html)


def test_the_settings_form_shows_every_error_beside_its_field_not_one_banner_at_a_time(client_as, world):
    response = _post(
        client_as("coordinator"),
        "/parametres",
        {"name": "CAPI", "address": "", "postcode": "9" * 11, "city": "x" * 121, "siret": "1" * 21},
        action="/parametres/en-tete",
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    _assert_beside(html, "siret", "")
    _assert_beside(html, "postcode", "")
    _assert_beside(html, "city", "")
    summary = _summary(html)
    count = int(re.search(r"(\d+) erreurs? : voir ci-dessous", summary).group(1))
    assert count == html.count('<span class="visually-hidden">Erreur : </span>') >= 3  # each beside its field
    assert '<a href="#siret">' in summary
