"""Each role's day from its home (issue 16), in one Chromium on the demo data: log in, read the
to-do list, follow every task link to its work, come back; the agent submits and the signatory
validates through the confirmation step, the coordinator reminds the late communes, the
accountant issues the titles (after a due date refused beside its field); each task then leaves
the home (or its count goes down).
Every page passes axe-core (no serious or critical violation) at 1366 px and at 390 px; a
screenshot is kept per step (tests/e2e/screenshots/journee-*)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from groupement.core.timeutil import paris_today
from groupement.demo.dataset import DEMO_DOMAIN, DEMO_PASSWORD
from tests.e2e.browser import log_in, screenshot

pytestmark = pytest.mark.browser

SERIOUS = {"serious", "critical"}
DESKTOP, PHONE = 1366, 390
MAX_TASKS_WALKED = 6  # the demo's homes hold fewer; a bound keeps the test fast whatever the data


def _check(page, axe, step: str) -> None:
    """Axe at both widths and a screenshot of each; the page must also fit the phone's width."""
    problems = []
    for width in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        violations = [
            f"{v['id']} ({v['impact']}) : {v['nodes'][0]['target'] if v['nodes'] else '?'}"
            for v in axe.run(page).response["violations"]
            if v["impact"] in SERIOUS
        ]
        if violations:
            problems.append(f"{step} à {width} px : {violations}")
        if width == PHONE:
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > PHONE + 1:
                problems.append(f"{step} : {scroll_width} px de large à {PHONE} px")
        screenshot(page, f"journee-{step}-{width}")
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    assert problems == []


def _tasks(page) -> list[tuple[str, str, str]]:
    """(kind, label, href) of each task of the home, in order."""
    items = page.locator(".tasks-card li.task")
    return [
        (
            items.nth(i).get_attribute("data-kind"),
            items.nth(i).locator("a").first.inner_text().strip(),
            items.nth(i).locator("a").first.get_attribute("href"),
        )
        for i in range(items.count())
    ]


def _walk(page, demo, axe, who: str) -> list[tuple[str, str, str]]:
    """Home, then each task's page and back home: returns the tasks read on the home."""
    page.goto(demo.url + "/")
    assert page.get_by_role("heading", name="À faire").is_visible()
    _check(page, axe, f"{who}-accueil")
    tasks = _tasks(page)
    if not tasks:
        assert page.locator(".tasks-empty").inner_text().strip()  # the empty state says what next
    for index, (kind, label, href) in enumerate(tasks[:MAX_TASKS_WALKED]):
        page.goto(demo.url + href)
        assert page.get_by_role("heading", level=1).is_visible(), label
        assert "Page introuvable" not in page.content(), label
        _check(page, axe, f"{who}-tache-{index + 1}-{kind}")
        page.go_back()
        page.wait_for_load_state()
        assert page.get_by_role("heading", name="À faire").is_visible()
    return tasks


@pytest.fixture
def day(demo, browser):
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": DESKTOP, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page, demo, Axe()
    context.close()


def _first(tasks, kind: str) -> tuple[str, str, str]:
    found = [task for task in tasks if task[0] == kind]
    assert found, f"aucune tâche « {kind} » sur l'accueil : {tasks}"
    return found[0]


def test_the_agents_day_fills_and_submits_the_campaign_its_home_points_to(day):
    page, demo, axe = day
    log_in(page, demo, f"agent.bourgoin-jallieu@{DEMO_DOMAIN}", DEMO_PASSWORD)
    tasks = _walk(page, demo, axe, "agent")
    kind, label, href = _first(tasks, "needs_to_fill")

    page.goto(demo.url + href)
    page.get_by_role("link", name="Soumettre les besoins").click()
    page.wait_for_load_state()
    _check(page, axe, "agent-confirmer-soumission")
    page.get_by_role("button", name="Confirmer la soumission").click()
    page.wait_for_load_state()
    _check(page, axe, "agent-soumis")

    page.goto(demo.url + "/")
    assert label not in [task[1] for task in _tasks(page)]
    _check(page, axe, "agent-accueil-apres")


def test_the_signatorys_day_validates_the_submitted_needs_after_the_summary(day):
    page, demo, axe = day
    log_in(page, demo, f"signataire.villefontaine@{DEMO_DOMAIN}", DEMO_PASSWORD)
    tasks = _walk(page, demo, axe, "signataire")
    kind, label, href = _first(tasks, "needs_to_validate")

    page.goto(demo.url + href)
    review = page.get_by_role("link", name="Vérifier puis valider les besoins")
    if review.count():
        review.click()
        page.wait_for_load_state()
    _check(page, axe, "signataire-verifier")
    page.get_by_role("button", name="Valider les besoins").click()
    page.wait_for_load_state()
    _check(page, axe, "signataire-valide")

    page.goto(demo.url + "/")
    assert label not in [task[1] for task in _tasks(page)]


def _count(page, kind: str) -> int:
    """The count of the home's task of this kind; 0 when the task has left the home."""
    task = page.locator(f'.tasks-card li.task[data-kind="{kind}"]')
    return sum(int(task.nth(i).get_attribute("data-count")) for i in range(task.count()))


def test_the_coordinators_day_reminds_the_late_communes_and_the_task_leaves_its_home(day):
    page, demo, axe = day
    log_in(page, demo, f"coordinateur@{DEMO_DOMAIN}", DEMO_PASSWORD)
    tasks = _walk(page, demo, axe, "coordinateur")
    kind, label, href = _first(tasks, "late_communes")
    page.goto(demo.url + "/")
    late_before = _count(page, "late_communes")
    assert late_before > 0

    page.goto(demo.url + href)  # the task's link: the campaign's board
    page.get_by_role("button", name="Relancer les communes en retard").click()
    page.wait_for_load_state()
    assert "journalisé" in page.content() or "relancée" in page.content()
    assert "Dernière relance" in page.content()
    _check(page, axe, "coordinateur-relance")
    page.get_by_role("button", name="Relancer les communes en retard").click()  # at once again
    page.wait_for_load_state()
    assert "prochaine relance possible le" in page.content()  # nobody is written to twice

    page.goto(demo.url + "/")
    late_after = _count(page, "late_communes")
    assert late_after < late_before  # the reminded communes await nothing for 24 h
    if late_after == 0:
        assert label not in [task[1] for task in _tasks(page)]
    _check(page, axe, "coordinateur-accueil-apres")


def test_the_accountants_day_issues_the_titles_its_home_asks_for_after_a_date_refused_beside_its_field(day):
    page, demo, axe = day
    log_in(page, demo, f"comptable@{DEMO_DOMAIN}", DEMO_PASSWORD)
    tasks = _walk(page, demo, axe, "comptable")
    kind, label, href = _first(tasks, "titles_to_issue")
    page.goto(demo.url + "/")
    before = _count(page, "titles_to_issue")

    page.goto(demo.url + href)  # the board of the split invoices, then the first invoice
    invoice = page.evaluate(
        "[...document.querySelectorAll('main a')].map(a => a.getAttribute('href'))"
        ".find(h => /^\\/factures\\/\\d+$/.test(h))"
    )
    assert invoice, "aucune facture répartie sur le tableau"
    page.goto(demo.url + invoice)
    due = page.get_by_label("Date d'échéance des titres")
    due.fill((paris_today() - timedelta(days=1)).isoformat())  # in the past: refused
    page.get_by_role("button", name="Émettre les titres de recettes").click()
    page.wait_for_load_state()
    due = page.get_by_label("Date d'échéance des titres")
    assert due.get_attribute("aria-invalid") == "true"
    errors = page.locator("#due_date-errors")
    assert "est passée" in errors.inner_text()
    assert "due_date-errors" in due.get_attribute("aria-describedby")
    summary = page.locator(".errors-summary[role=alert]")
    assert "1 erreur" in summary.inner_text()
    assert summary.get_by_role("link", name="Date d'échéance des titres").get_attribute("href") == "#due_date"
    assert page.locator(".flash-error").count() == 0  # beside the field, not in the banner
    _check(page, axe, "comptable-echeance-refusee")

    due.fill((paris_today() + timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Émettre les titres de recettes").click()
    page.wait_for_load_state()
    assert "titre(s) de recettes émis" in page.locator(".flash-success").inner_text()
    _check(page, axe, "comptable-titres-emis")

    page.goto(demo.url + "/")
    assert _count(page, "titles_to_issue") == before - 1
    if before == 1:
        assert label not in [task[1] for task in _tasks(page)]
    _check(page, axe, "comptable-accueil-apres")
