"""Two paged lists in Chromium, on a laptop (1 366 px) and on a phone (390 px): the filters are a
plain GET form (no JavaScript needed), the pager's links keep them, nothing is wider than the
screen, and « Mes travaux » is in the coordinator's menu, folded on the phone."""

from __future__ import annotations

import pytest

from tests.e2e.browser import screenshot
from tests.e2e.test_lists_in_pages import _world
from tests.factories import PASSWORD

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _open(browser, live_server, email: str, viewport: dict):
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(live_server.url + "/connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server.url + "/")
    return context, page


@pytest.mark.browser
@pytest.mark.parametrize("name, viewport", [("laptop", LAPTOP), ("phone", PHONE)])
def test_the_contracts_and_orders_lists_filter_and_page_in_the_browser(app, browser, live_server, name, viewport):
    ours, _ = _world(app, size=120)
    context, page = _open(browser, live_server, ours.emails["coordinator"], viewport)
    try:
        page.goto(live_server.url + "/contrats")
        page.get_by_label("Titulaire").select_option(label="NOUS Énergie Services")
        page.get_by_role("button", name="Filtrer").click()
        assert page.locator(".count").inner_text().replace("\u202f", " ") == "40 accords-cadres"
        assert page.locator(".pager-range").inner_text().startswith("1–40 sur 40")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"liste-contrats-filtree-{name}")

        page.goto(live_server.url + "/commandes?livraison=waiting")
        page.get_by_role("link", name="Suivante →").click()
        assert "page=2" in page.url and "livraison=waiting" in page.url  # the filter kept by the pager
        assert page.locator(".pager-range").inner_text().startswith("51–100 sur 120")
        assert page.get_by_label("Livraison").input_value() == "waiting"
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"liste-commandes-page-2-{name}")

        menu = page.get_by_role("navigation", name="Navigation principale")
        travaux = menu.get_by_role("link", name="Mes travaux")
        if name == "phone":
            assert not travaux.is_visible()
            menu.locator("summary").click()
        assert travaux.is_visible()
        box = travaux.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        screenshot(page, f"menu-mes-travaux-{name}")
    finally:
        context.close()
