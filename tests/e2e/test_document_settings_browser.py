"""The settings page of the documents in Chromium: no serious or critical axe-core violation, wide
(1366 px) and narrow (390 px), for the coordinator (letterhead and every commune's code) and for a
commune's agent (its own code)."""

from __future__ import annotations

import pytest

from tests.e2e.browser import log_in, screenshot
from tests.factories import PASSWORD

SERIOUS = {"serious", "critical"}


@pytest.mark.parametrize("principal", ["coordinator", "agent_a"])
def test_the_settings_page_passes_axe_wide_and_narrow(principal, world, live_server, browser):
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, live_server, world.emails[principal], PASSWORD)
        violations = []
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(live_server.url + "/parametres")
            page.wait_for_load_state()
            assert page.get_by_role("heading", name="Codes service Chorus Pro").is_visible()
            if principal == "coordinator":
                assert page.get_by_label("Logo (PNG ou JPEG, 500 Ko au plus)").is_visible()
            screenshot(page, f"parametres-{principal}-{width}")
            violations += [
                f"{v['id']} ({v['impact']}) à {width} px"
                for v in Axe().run(page).response["violations"]
                if v["impact"] in SERIOUS
            ]
        assert violations == []
    finally:
        context.close()
