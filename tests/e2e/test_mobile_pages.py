"""Every page of every role on a phone (390 px) and on a laptop (1 366 px): no page is wider than
the screen, and axe-core finds no serious or critical violation.

The pages come from the app's url_map: each GET route is looked up in the access matrix
(tests/e2e/test_access_matrix.py), which gives its path with the world's real ids and the
principals that open it (200). A screenshot per page and width is kept in tests/e2e/screenshots/.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import screenshot
from tests.e2e.test_access_matrix import ALL_RULES as RULES
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

# One principal per role (agent_b is another agent: the same pages), and the visitor.
ROLES = ("anonymous", "agent_a", "signatory_a", "coordinator", "accountant", "admin", "supplier_a")
WIDTHS = {"telephone": (390, 844), "ordinateur": (1366, 768)}
DOWNLOADS = (".xlsx", ".pdf", ".csv", ".json", ".zip")
SERIOUS = {"serious", "critical"}
# The pages that answer a refusal are pages too: a commune agent on the accounting side, an unknown id.
ERROR_PAGES = {"agent_a": [("403", "/factures"), ("404", "/organisations/999999")]}

# The elements that stick out of the screen while their parent fits, outside any element that
# scrolls them: the ones that push the page sideways (for the message).
OVERFLOWING = """() => {
  const width = window.innerWidth, found = [];
  const scrolled = (el) => {
    if (getComputedStyle(el).position === 'absolute') return false;
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect(), parent = el.parentElement.getBoundingClientRect();
    if (box.width && box.right > width + 1 && parent.right <= width + 1 && el.checkVisibility() && !scrolled(el)) {
      const classes = typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim() : '';
      found.push(`${el.tagName.toLowerCase()}${classes} (${Math.round(box.right)} px)`);
    }
  }
  return found.slice(0, 5);
}"""


def html_pages(app, ids: dict[str, int], principal: str) -> list[tuple[str, str]]:
    """(name, path) of every HTML page the principal opens, from the url_map, with real ids."""
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        assert (rule.endpoint, "GET") in RULES, f"{rule.endpoint} : aucune ligne dans la matrice d'accès"
        build, expected = RULES[(rule.endpoint, "GET")]
        path = build(ids)
        if path.split("?")[0].endswith(DOWNLOADS) or expected.get(principal) != 200:
            continue
        pages.append((rule.endpoint, path))
    return pages + ERROR_PAGES.get(principal, [])


@pytest.fixture
def contexts(browser, live_server):
    """One logged-in browser context per width, for the principal given."""
    opened = []

    def open_as(principal: str, email: str | None):
        result = {}
        for name, (width, height) in WIDTHS.items():
            context = browser.new_context(
                locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": width, "height": height}
            )
            opened.append(context)
            page = context.new_page()
            page.set_default_timeout(15_000)
            if email:
                page.goto(live_server.url + "/connexion")
                page.get_by_label("Adresse électronique").fill(email)
                page.get_by_label("Mot de passe").fill(PASSWORD)
                page.get_by_role("button", name="Se connecter").click()
                page.wait_for_url(live_server.url + "/")
            result[name] = page
        return result

    yield open_as
    for context in opened:
        context.close()


@pytest.mark.parametrize("principal", ROLES)
def test_every_page_fits_a_phone_and_a_laptop_screen_without_serious_accessibility_faults(
    app, world, live_server, contexts, principal
):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    pages = html_pages(app, world.ids, principal)
    assert len(pages) >= {"anonymous": 2, "supplier_a": 9}.get(principal, 10)
    tabs = contexts(principal, world.emails.get(principal))
    too_wide, violations = [], []
    for width_name, tab in tabs.items():
        for name, path in pages:
            response = tab.goto(live_server.url + path)
            assert response is not None
            expected = int(name) if name.isdigit() else 200
            assert response.status == expected, f"{path} ({principal}) : {response.status}"
            tab.wait_for_load_state()
            scroll_width, inner_width = tab.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if scroll_width > inner_width:
                culprits = ", ".join(tab.evaluate(OVERFLOWING))
                too_wide.append(f"{path} à {inner_width} px : {scroll_width} px de large ({culprits})")
            for violation in axe.run(tab).response["violations"]:
                if violation["impact"] in SERIOUS:
                    target = violation["nodes"][0]["target"] if violation["nodes"] else "?"
                    where = f"{path} à {inner_width} px"
                    violations.append(f"{violation['id']} ({violation['impact']}) sur {where} : {target}")
            screenshot(tab, f"mobile-{width_name}-{principal}-{slug(name)}")
    assert not too_wide + violations, "\n".join(too_wide + violations)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
