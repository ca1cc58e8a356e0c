"""Each role's to-do home in a real Chromium, on the demo data set: the list is there, most urgent
first, its links lead to the work, and axe-core finds no serious or critical violation at 1366 px
and at 390 px wide."""

from __future__ import annotations

import pytest

from groupement.demo.dataset import DEMO_DOMAIN, DEMO_PASSWORD
from tests.e2e.browser import log_in, screenshot

pytestmark = pytest.mark.browser

SERIOUS = {"serious", "critical"}
LOGINS = ["agent.bourgoin-jallieu", "signataire.crachier", "coordinateur", "comptable"]
WIDTHS = [1366, 390]


@pytest.mark.parametrize("login", LOGINS)
def test_each_home_lists_its_work_and_passes_axe_at_desktop_and_phone_widths(demo, browser, login):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    for width in WIDTHS:
        context = browser.new_context(
            locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": width, "height": 900}
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            log_in(page, demo, f"{login}@{DEMO_DOMAIN}", DEMO_PASSWORD)
            assert page.get_by_role("heading", name="À faire").is_visible()
            tasks = page.locator(".tasks-card li.task")
            badges = [tasks.nth(i).locator(".badge").inner_text() for i in range(tasks.count())]
            if tasks.count() == 0:
                assert page.locator(".tasks-empty").inner_text().strip()
            # Most urgent first: the badges never go back from "à faire" to "urgent".
            order = {"urgent": 0, "bientôt": 1, "à faire": 2}
            assert [order[b] for b in badges] == sorted(order[b] for b in badges)
            violations = [
                f"{v['id']} ({v['impact']}) : {v['nodes'][0]['target'] if v['nodes'] else '?'}"
                for v in axe.run(page).response["violations"]
                if v["impact"] in SERIOUS
            ]
            screenshot(page, f"accueil-a-faire-{login}-{width}")
            assert violations == [], f"{login} à {width} px : {violations}"
        finally:
            context.close()


def test_the_agents_task_links_lead_to_the_work(demo, page):
    log_in(page, demo, f"agent.bourgoin-jallieu@{DEMO_DOMAIN}", DEMO_PASSWORD)
    links = page.locator(".tasks-card li.task a")
    assert links.count() >= 1
    first = links.first
    label = first.inner_text()
    first.click()
    page.wait_for_load_state()
    assert page.url != demo.url + "/", label
    assert page.get_by_role("heading", level=1).is_visible()
