"""The action forms that post and redirect (lots, invoices, contracts, deliveries) refuse an
invalid post beside its fields (issue 16): the page again with status 422, each error beside its
field (aria-describedby, aria-invalid), a summary with links above the form, what was typed kept
and nothing written; a valid post still redirects (post, redirect, get)."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import func, select

from groupement.contracts.models import Contract, Delivery
from groupement.extensions import db
from groupement.invoices.models import Invoice, InvoiceCheck
from groupement.lots.models import Lot, LotLine, LotStatus
from tests.conftest import csrf_token_of
from tests.e2e.test_errors_beside_fields import _assert_beside, _summary
from tests.e2e.test_invoices_pages import followed, invoice_id, order_invoice_csv, token, upload


def _post(client, page: str, action: str, **data):
    return client.post(action, data={"csrf_token": csrf_token_of(client.get(page).get_data(as_text=True)), **data})


def _refused(response) -> str:
    assert response.status_code == 422, response.status_code
    html = response.get_data(as_text=True)
    assert 'class="flash flash-error' not in html  # beside the fields, not in the banner
    return html


# --- lots ------------------------------------------------------------------------------------


def test_the_lot_parameters_refused_show_each_error_beside_its_field_and_keep_what_was_typed(client_as, world, app):
    client = client_as("coordinator")
    show = f"/lots/{world.ids['lot']}"
    with app.app_context():
        before = db.session.get(Lot, world.ids["lot"]).duration_months

    html = _refused(
        _post(client, show, f"{show}/parametres", duration_months="60", margin_percent="abc", launch_date="")
    )

    _assert_beside(html, "duration_months", "La durée d'un accord-cadre est de 1 à 48 mois")
    _assert_beside(html, "margin_percent", "")
    summary = _summary(html)
    assert '<a href="#duration_months">' in summary and '<a href="#margin_percent">' in summary
    assert 'value="60"' in html  # what was typed is shown again
    with app.app_context():
        assert db.session.get(Lot, world.ids["lot"]).duration_months == before


def test_a_line_excluded_without_reason_is_refused_beside_that_lines_reason_only(client_as, world, app):
    client = client_as("coordinator")
    show = f"/lots/{world.ids['lot']}"
    line = world.ids["lot_line"]

    html = _refused(_post(client, show, f"/lignes/{line}/exclure", lot_id=str(world.ids["lot"]), reason=""))

    _assert_beside(html, f"motif-{line}", "Le motif d'exclusion est obligatoire.")
    assert f'<a href="#motif-{line}">' in _summary(html)
    assert html.count('aria-invalid="true"') == 1  # the other lines' forms are untouched
    with app.app_context():
        assert db.session.get(LotLine, line).excluded_reason is None


def test_an_exclusion_refused_for_another_coordinators_line_is_not_found(client_as, world):
    client = client_as("other_coordinator")
    response = _post(client, "/", f"/lignes/{world.ids['lot_line']}/exclure", reason="")
    assert response.status_code == 404


def test_publishing_without_the_confirmation_is_refused_beside_the_box_and_nothing_is_published(client_as, world, app):
    client = client_as("coordinator")
    show = f"/lots/{world.ids['lot']}"
    html = _refused(_post(client, show, f"{show}/publier"))
    _assert_beside(html, "confirm", "Cochez la case pour confirmer la publication.")

    index = f"/campagnes/{world.ids['lots_campaign']}/lots"
    html = _refused(_post(client, index, f"{index}/publier", lot_ids=[str(world.ids["lot"])]))
    _assert_beside(html, "confirmer-publication", "Cochez la case pour confirmer la publication.")
    assert re.search(rf'name="lot_ids" value="{world.ids["lot"]}" checked', html)  # the ticked lot stays ticked
    with app.app_context():
        assert db.session.get(Lot, world.ids["lot"]).status is LotStatus.DRAFT

    moved = _refused(_post(client, index, f"{index}/deplacer", target=str(world.ids["lot"])))
    assert "Cochez au moins une ligne à déplacer." in unescape(moved)
    assert '<a href="#lignes-a-deplacer">' in _summary(moved)


def test_a_valid_lot_action_still_redirects(client_as, world):
    client = client_as("coordinator")
    show = f"/lots/{world.ids['lot']}"
    response = _post(client, show, f"{show}/renommer", title="Ordinateurs et écrans")
    assert response.status_code == 302 and response.location.endswith(show)


# --- invoices --------------------------------------------------------------------------------


def _matched_invoice(app, client, world) -> tuple[int, list[int]]:
    followed(client, upload(client, "fa-117.csv", order_invoice_csv(app, world)))
    invoice = invoice_id(app, "FA-2026-117")
    followed(client, client.post(f"/factures/{invoice}/rapprocher", data={"csrf_token": token(client)}))
    html = client.get(f"/factures/{invoice}").get_data(as_text=True)
    return invoice, [int(i) for i in re.findall(r'action="/factures/controles/(\d+)"', html)]


def test_an_anomaly_accepted_without_comment_is_refused_beside_its_comment_and_stays_open(client_as, world, app):
    client = client_as("accountant")
    invoice, checks = _matched_invoice(app, client, world)
    check = checks[1]

    html = _refused(client.post(f"/factures/controles/{check}", data={"csrf_token": token(client), "accept": "y"}))

    _assert_beside(html, f"commentaire-{check}", "Un commentaire est obligatoire pour accepter un écart")
    assert f'<a href="#commentaire-{check}">' in _summary(html)
    assert html.count('aria-invalid="true"') == 1
    with app.app_context():
        assert db.session.get(InvoiceCheck, check).resolution.value == "open"

    disputed = client.post(
        f"/factures/controles/{check}", data={"csrf_token": token(client), "comment": "x" * 2001, "dispute": "y"}
    )
    _assert_beside(_refused(disputed), f"commentaire-{check}", "2 000 caractères au plus.")
    assert "x" * 2001 in disputed.get_data(as_text=True)  # the comment typed is kept


def test_a_rejection_without_reason_is_refused_beside_the_reason_with_the_box_open(client_as, world, app):
    client = client_as("accountant")
    invoice, _ = _matched_invoice(app, client, world)

    html = _refused(client.post(f"/factures/{invoice}/rejeter", data={"csrf_token": token(client), "reason": ""}))

    _assert_beside(html, "reason", "Le motif du rejet est obligatoire.")
    assert '<details class="reject" id="rejeter" open>' in html
    with app.app_context():
        assert db.session.get(Invoice, invoice).status.value != "rejected"


def test_split_options_refused_show_the_percentage_error_beside_its_commune(client_as, world, app):
    client = client_as("accountant")
    invoice, checks = _matched_invoice(app, client, world)
    for check in checks:  # every anomaly decided, so that the split form is offered
        who = client_as("coordinator")
        decision = {"csrf_token": token(who), "comment": "Avoir promis ; livraison constatée", "accept": "y"}
        assert who.post(f"/factures/controles/{check}", data=decision).status_code == 302
    from groupement.organisations.models import Organisation

    with app.app_context():
        insee_a = db.session.get(Organisation, world.ids["commune_a"]).insee_code
        insee_b = db.session.get(Organisation, world.ids["commune_b"]).insee_code

    response = client.post(
        f"/factures/{invoice}/repartir",
        data={
            "csrf_token": token(client),
            "key": "manual",
            "communes": [insee_a],
            f"pourcentage_{insee_a}": "150",
            f"pourcentage_{insee_b}": "10",
        },
    )

    html = _refused(response)
    assert re.search(rf'id="pourcentage_{insee_a}"[^>]*aria-invalid="true"', html) or re.search(
        rf'aria-invalid="true"[^>]*id="pourcentage_{insee_a}"', html
    )
    assert f'<ul class="errors" id="pourcentage_{insee_a}-errors">' in html
    assert "Un pourcentage entre 0 et 100." in unescape(html)
    assert f'<ul class="errors" id="pourcentage_{insee_b}-errors">' in html
    assert "Cochez la commune pour lui donner un pourcentage." in unescape(html)
    assert f'<a href="#pourcentage_{insee_a}">' in _summary(html)
    with app.app_context():
        assert db.session.get(Invoice, invoice).status.value not in ("split", "recovered")


# --- contracts and deliveries ------------------------------------------------------------------


def test_the_price_type_refused_is_shown_beside_its_field(client_as, world, app):
    client = client_as("coordinator")
    page = f"/contrats/{world.ids['contract']}"
    with app.app_context():
        before = db.session.get(Contract, world.ids["contract"]).price_type

    html = _refused(_post(client, page, f"{page}/type-de-prix", price_type=""))

    _assert_beside(html, "price_type", "Choisissez le type de prix du marché.")
    with app.app_context():
        assert db.session.get(Contract, world.ids["contract"]).price_type is before


def test_a_delivery_refused_is_shown_beside_that_lines_fields_and_nothing_is_recorded(client_as, world, app):
    client = client_as("signatory_a")
    show = f"/commandes/{world.ids['order_a']}"
    line = world.ids["order_line_a"]

    html = _refused(_post(client, show, f"/commandes/lignes/{line}/livraison", delivered_on="", quantity="abc"))

    _assert_beside(html, f"date-{line}", "La date de réception est obligatoire.")
    _assert_beside(html, f"quantite-{line}", "")
    summary = _summary(html)
    assert f'<a href="#date-{line}">' in summary and f'<a href="#quantite-{line}">' in summary
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_the_suppliers_delivery_refused_is_shown_beside_that_lines_fields(client_as, world, app):
    from groupement.core.timeutil import paris_today
    from groupement.suppliers.models import DeclaredDelivery

    client = client_as("supplier_a")
    order_page = f"/espace-fournisseur/commandes/{world.ids['order_a']}"
    acknowledged = _post(client, order_page, f"{order_page}/accuse-reception", planned_delivery_on="")
    assert acknowledged.status_code == 302  # the planned date is optional
    line = world.ids["order_line_a"]

    html = _refused(
        _post(client, order_page, f"/espace-fournisseur/lignes/{line}/livraison", delivered_on="", quantity="")
    )

    _assert_beside(html, f"date-{line}", "")
    _assert_beside(html, f"quantite-{line}", "")
    assert f'<a href="#quantite-{line}">' in _summary(html)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DeclaredDelivery)) == 0
    valid = _post(
        client,
        order_page,
        f"/espace-fournisseur/lignes/{line}/livraison",
        delivered_on=paris_today().isoformat(),
        quantity="1",
    )
    assert valid.status_code == 302
