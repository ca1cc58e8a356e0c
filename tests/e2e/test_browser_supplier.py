"""Issue 17's journey in a real Chromium, on a phone: a commune's agent orders, the supplier
receives the order in its space, acknowledges it with a delivery date and declares the
delivery; the commune then sees it declared by the supplier, to certify."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from groupement.core.timeutil import paris_today
from tests.e2e.browser import log_in as browser_log_in
from tests.e2e.browser import screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def test_the_supplier_receives_acknowledges_and_delivers_an_order_from_a_phone(world, live_server, browser):
    agent = browser.new_page(locale="fr-FR", timezone_id="Europe/Paris")
    browser_log_in(agent, live_server, world.emails["agent_a"], PASSWORD)
    agent.goto(f"{live_server.url}/commandes/nouvelle/{world.ids['contract']}")
    agent.get_by_label("Quantité — Écran 24 pouces").fill("2")
    agent.get_by_role("button", name="Enregistrer le bon de commande").click()
    agent.wait_for_url(re.compile(r".*/commandes/\d+$"))
    number = re.search(r"BC-\d{5}-\d{4}-0002", agent.locator(".flash-success").inner_text()).group(0)

    phone = browser.new_page(locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE)
    browser_log_in(phone, live_server, world.emails["supplier_a"], PASSWORD)
    task = phone.locator('[data-kind="acknowledge"]').filter(has_text=number)
    task.get_by_role("link").click()
    phone.wait_for_url(re.compile(r".*/espace-fournisseur/commandes/\d+$"))
    planned = paris_today() + timedelta(days=3)
    phone.get_by_label("Date de livraison prévue (facultative)").fill(planned.isoformat())
    phone.get_by_role("button", name="Accuser réception").click()
    assert f"livraison prévue le {planned:%d/%m/%Y}" in phone.locator(".flash-success").inner_text()
    assert phone.get_by_role("button", name="Accuser réception").count() == 0  # once

    line = phone.locator(".delivery-line").filter(has_text="Écran 24 pouces")
    line.get_by_label(re.compile(r"Quantité livrée")).fill("3")
    line.get_by_role("button", name="Déclarer la livraison").click()
    assert "3 reçus alors qu'il reste 2 à livrer sur 2 commandés" in phone.locator(".flash-error").inner_text()
    line = phone.locator(".delivery-line").filter(has_text="Écran 24 pouces")
    line.get_by_label(re.compile(r"Quantité livrée")).fill("2")
    line.get_by_role("button", name="Déclarer la livraison").click()
    assert "Livraison déclarée : 2 livrés" in phone.locator(".flash-success").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(phone, "fournisseur-livraison-declaree-telephone")

    agent.goto(f"{live_server.url}/ma-commune/service-fait")
    row = agent.locator("table.service-fait tbody tr").filter(has_text=number)
    assert "déclarée par le fournisseur" in row.inner_text()
    row.get_by_role("button", name=re.compile("Certifier le service fait")).click()
    assert "certifié" in agent.locator("table.service-fait tbody tr").filter(has_text=number).inner_text()
