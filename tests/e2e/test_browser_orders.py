"""A commune agent's order in a real Chromium: two lines at the contract's prices, then a
partial delivery (service fait) on one of them."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import log_in as browser_log_in
from tests.e2e.browser import screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def log_in(page, server, email):
    browser_log_in(page, server, email, PASSWORD)


def test_an_agent_orders_two_lines_and_confirms_a_partial_delivery(world, live_server, page):
    log_in(page, live_server, world.emails["agent_a"])
    page.get_by_role("link", name="Commandes").click()
    page.get_by_role("link", name="Nouvelle commande").click()
    page.get_by_role("link", name="Commander").click()
    page.wait_for_url(re.compile(r".*/commandes/nouvelle/\d+$"))

    page.get_by_label("Quantité — Écran 24 pouces").fill("2")
    page.get_by_label(re.compile(r"Quantité — Ordinateur portable")).fill("1")
    page.get_by_label("Adresse de livraison").fill("Services techniques\n12 rue de l'Église\n38300 Bourgoin-Jallieu")
    screenshot(page, "commande-saisie")
    page.get_by_role("button", name="Enregistrer le bon de commande").click()

    page.wait_for_url(re.compile(r".*/commandes/\d+$"))
    flash = page.locator(".flash-success").inner_text()
    assert re.search(r"Bon de commande BC-\d{5}-\d{4}-0002 enregistré : 998,30\s€ HT\.", flash), flash
    rows = page.locator("table.order-lines tbody tr")
    assert rows.count() == 2
    assert "998,30" in page.locator("table.order-lines tfoot").inner_text()

    screen_line = page.locator(".delivery-line").filter(has_text="Écran 24 pouces")
    screen_line.get_by_label(re.compile(r"Quantité reçue")).fill("1")
    screen_line.get_by_role("button", name="Constater la livraison").click()
    assert "Livraison enregistrée : 1 reçu le" in page.locator(".flash-success").inner_text()
    screen_line = page.locator(".delivery-line").filter(has_text="Écran 24 pouces")
    assert "1 livré sur 2" in screen_line.inner_text()
    assert "Livraison partielle" in page.locator(".page-head .badge").inner_text()
    screenshot(page, "commande-livraison-partielle")
