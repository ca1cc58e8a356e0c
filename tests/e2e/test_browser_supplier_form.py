"""Enter in the supplier form saves it (issue 16): the form's default button is the save, not
« Remplir depuis le SIRET », which only a click (or the keyboard on that button) starts."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from groupement.extensions import db
from groupement.tenders import sirene
from groupement.tenders.models import Supplier
from tests.e2e.browser import log_in, screenshot
from tests.factories import PASSWORD
from tests.integration.test_sirene import SIRET, answer

pytestmark = pytest.mark.browser


def _suppliers(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Supplier.name).order_by(Supplier.name)))


def test_enter_in_a_field_of_the_supplier_form_saves_it_and_does_not_ask_sirene(
    world, live_server, page, app, monkeypatch
):
    asked = []
    monkeypatch.setattr(sirene, "_fetch", lambda url, timeout: asked.append(url) or answer())
    log_in(page, live_server, world.emails["coordinator"], PASSWORD)
    page.goto(f"{live_server.url}/fournisseurs/nouveau")
    page.get_by_label("Raison sociale").fill("Bureautique du Dauphiné")
    page.get_by_label("SIRET", exact=True).fill(SIRET)
    page.get_by_label("SIRET", exact=True).press("Enter")

    page.wait_for_url(re.compile(r".*/fournisseurs(/\d+)?$"))
    assert "Bureautique du Dauphiné" in page.locator(".flash-success").inner_text()
    assert "Bureautique du Dauphiné" in _suppliers(app)
    assert asked == []  # Enter never reached the SIRENE lookup
    screenshot(page, "fournisseur-entree-enregistre")


def test_the_sirene_button_still_fills_the_form_when_clicked_and_the_tab_order_skips_the_hidden_default(
    world, live_server, page, app, monkeypatch
):
    monkeypatch.setitem(app.config, "SIRENE_LOOKUP", True)
    monkeypatch.setattr(sirene, "_fetch", lambda url, timeout: answer())
    log_in(page, live_server, world.emails["coordinator"], PASSWORD)
    page.goto(f"{live_server.url}/fournisseurs/nouveau")
    before = _suppliers(app)
    page.get_by_label("SIRET", exact=True).fill(SIRET)
    page.get_by_role("button", name="Remplir depuis le SIRET").click()
    page.wait_for_load_state()

    assert page.get_by_label("Raison sociale").input_value() == "COMMUNAUTE D'AGGLOMERATION PORTES DE L'ISERE"
    assert _suppliers(app) == before  # filled, nothing written
    page.get_by_label("Raison sociale").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "siret"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Remplir depuis le SIRET"
    assert page.get_by_role("button", name="Enregistrer").count() == 1  # the hidden default is not announced
