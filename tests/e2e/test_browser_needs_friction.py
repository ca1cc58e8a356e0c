"""The needs journey without friction, in a real Chromium on the demo: the grid fits a 1366 px
screen, the search ignores accents, a letter in a quantity is kept and refused beside the field,
the first faulty row is focused, submit and validate go through a page that says what they do,
and the new pages pass axe-core at 1366 and 390 px wide."""

from __future__ import annotations

import re

import openpyxl
import pytest

from groupement.demo.dataset import DEMO_DOMAIN, DEMO_PASSWORD
from tests.e2e.browser import finish_job, screenshot
from tests.e2e.browser import log_in as browser_log_in

pytestmark = pytest.mark.browser

SERIOUS = {"serious", "critical"}
WIDTHS = (1366, 390)


def person(browser, server, login: str, width: int = 1366):
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    browser_log_in(page, server, f"{login}@{DEMO_DOMAIN}", DEMO_PASSWORD)
    return page


def open_grid(page, server):
    page.goto(server.url + "/campagnes")
    page.get_by_role("link", name="Recensement des besoins 2027").first.click()
    page.wait_for_url(re.compile(r".*/besoins$"))


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = []
    for violation in Axe().run(page).response["violations"]:
        if violation["impact"] in SERIOUS:
            target = violation["nodes"][0]["target"] if violation["nodes"] else "?"
            found.append(f"{violation['id']} ({violation['impact']}) : {target}")
    return found


def audit_at_both_widths(page) -> list[str]:
    """axe-core on the page as it is, at 1366 px then at 390 px wide."""
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        found += [f"{width} px : {v}" for v in serious_violations(page)]
    page.set_viewport_size({"width": 1366, "height": 900})
    return found


def test_the_needs_grid_fits_a_1366_px_screen_history_column_included(demo, browser):
    page = person(browser, demo, "agent.bourgoin-jallieu")
    open_grid(page, demo)
    overflow = page.evaluate(
        """() => ({
            page: document.documentElement.scrollWidth,
            tables: Array.from(document.querySelectorAll('.needs-grid .table-wrap'))
                .filter((wrap) => wrap.scrollWidth > wrap.clientWidth + 1).length,
            history: Math.max(...Array.from(document.querySelectorAll('.grid-table thead th:last-child'))
                .map((th) => th.getBoundingClientRect().right)),
        })"""
    )
    screenshot(page, "besoins-grille-1366")
    assert overflow["page"] <= 1366
    assert overflow["tables"] == 0  # no table scrolls sideways: every column shows
    assert overflow["history"] <= 1366
    assert page.locator(".grid-table a", has_text="Historique").first.is_visible()
    page.context.close()


def test_the_grid_search_finds_the_same_items_with_or_without_accents(demo, browser):
    page = person(browser, demo, "agent.bourgoin-jallieu")
    open_grid(page, demo)
    search = page.get_by_label("Rechercher un article")
    search.fill("écran")
    with_accent = page.locator("tr[data-search]:visible").count()
    search.fill("ECRAN")
    without_accent = page.locator("tr[data-search]:visible").count()
    assert with_accent >= 4 and without_accent == with_accent
    page.context.close()


def test_a_letter_in_a_quantity_stays_with_a_message_and_the_refused_save_focuses_its_row(demo, browser):
    page = person(browser, demo, "agent.bourgoin-jallieu")
    open_grid(page, demo)
    quantities = page.locator("input.qty")
    target = quantities.nth(40)  # far down the page
    name = target.get_attribute("name")
    target.fill("12a")
    assert target.input_value() == "12a"  # not dropped as an <input type=number> would
    message = page.locator(f"#live-{name}")
    assert message.inner_text() == "« 12a » n'est pas un nombre entier"
    assert target.get_attribute("aria-invalid") == "true"

    page.evaluate("window.scrollTo(0, 0)")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.wait_for_load_state()
    summary = page.locator("#grid-errors")
    assert "1 ligne à revoir : rien n'a été enregistré" in summary.inner_text()
    assert summary.get_by_role("link").first.get_attribute("href") == f"#{name}"
    # The faulty quantity has the focus and is on screen; its message is beside it.
    assert page.evaluate("document.activeElement.name") == name
    assert page.locator(f"input[name='{name}']").input_value() == "12a"
    box = page.locator(f"input[name='{name}']").bounding_box()
    assert 0 <= box["y"] <= 900
    row = page.locator(f"tr:has(input[name='{name}'])")
    assert "« 12a » n'est pas un nombre entier" in row.locator(".cell-error").first.inner_text()
    screenshot(page, "besoins-ligne-refusee")
    page.context.close()


def test_submitting_goes_through_a_page_saying_what_is_submitted(demo, browser):
    page = person(browser, demo, "agent.bourgoin-jallieu")
    open_grid(page, demo)
    total = page.locator("[data-grand-total]").inner_text()
    page.get_by_role("link", name="Soumettre les besoins").click()
    page.wait_for_url(re.compile(r".*/besoins/soumettre$"))
    assert page.locator("[data-summary-total]").inner_text() == total
    assert re.match(r"^\d+ lignes non nulles$", page.locator("[data-summary-count]").inner_text())
    screenshot(page, "besoins-confirmer-soumission")
    assert audit_at_both_widths(page) == []
    page.get_by_role("button", name="Confirmer la soumission").click()
    page.wait_for_url(re.compile(r".*/besoins$"))
    assert "soumis" in page.locator(".flash-success").inner_text()
    assert page.locator(".badge").first.inner_text() == "soumise"
    page.context.close()


def test_the_signatory_validates_from_a_page_of_non_zero_lines_compared_with_last_year(demo, browser):
    page = person(browser, demo, "signataire.villefontaine")  # Villefontaine's needs are submitted
    open_grid(page, demo)
    grid_rows = page.locator(".grid-table tbody tr").count()
    page.get_by_role("link", name="Vérifier puis valider les besoins").click()
    page.wait_for_url(re.compile(r".*/besoins/valider$"))
    listed = page.locator(".needs-summary-lines tbody tr").count()
    assert 0 < listed < grid_rows  # the zeros of both years are left out
    families = page.locator(".needs-summary-families")
    assert "Montant HT 2026" in families.inner_text() and "Écart HT" in families.inner_text()
    screenshot(page, "besoins-validation-signataire")
    assert audit_at_both_widths(page) == []
    page.get_by_role("button", name="Valider les besoins").click()
    page.wait_for_url(re.compile(r".*/besoins$"))
    assert "validés" in page.locator(".flash-success").inner_text()
    assert page.locator(".badge").first.inner_text() == "validée"
    page.context.close()


def test_the_import_preview_shows_the_effect_in_euros_and_back_after_confirming_says_it_is_done(
    demo, browser, tmp_path
):
    page = person(browser, demo, "agent.bourgoin-jallieu")
    open_grid(page, demo)
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger en Excel").click()
    path = tmp_path / "besoins.xlsx"
    download.value.save_as(path)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    header = next(row for row in sheet.iter_rows() if any(c.value == "Quantité" for c in row))
    columns = {cell.value: cell.column for cell in header}
    cell = sheet.cell(row=header[0].row + 1, column=columns["Quantité"])
    cell.value = (cell.value or 0) + 2
    workbook.save(path)

    page.get_by_role("link", name="Importer un fichier Excel").click()
    page.get_by_label("Fichier Excel des besoins (.xlsx)").set_input_files(str(path))
    page.get_by_role("button", name="Vérifier le fichier").click()
    assert page.locator("[data-effect-difference]").inner_text().startswith("+")
    assert "€" in page.locator("[data-effect-before]").inner_text()
    assert audit_at_both_widths(page) == []
    preview_url = page.url
    page.get_by_role("button", name="Confirmer et enregistrer").click()
    page.wait_for_url(re.compile(r".*/besoins$"))
    page.go_back()
    page.wait_for_url(preview_url)
    assert page.get_by_role("heading", level=1).inner_text() == "Cet import est déjà confirmé"
    assert "besoins.xlsx" in page.locator(".upload-done").inner_text()
    screenshot(page, "besoins-import-deja-confirme")
    assert audit_at_both_widths(page) == []
    page.context.close()


def test_a_large_import_is_checked_and_confirmed_by_jobs_whose_pages_lead_to_the_preview_and_the_grid(
    app, demo, browser, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "NEEDS_IMPORT_JOB_BYTES", 0)  # every file is "large" here
    monkeypatch.setitem(app.config, "NEEDS_IMPORT_JOB_CHANGES", 0)
    page = person(browser, demo, "agent.bourgoin-jallieu")
    open_grid(page, demo)
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger en Excel").click()
    path = tmp_path / "besoins.xlsx"
    download.value.save_as(path)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    header = next(row for row in sheet.iter_rows() if any(c.value == "Quantité" for c in row))
    columns = {cell.value: cell.column for cell in header}
    cell = sheet.cell(row=header[0].row + 1, column=columns["Quantité"])
    cell.value = (cell.value or 0) + 3
    workbook.save(path)

    page.get_by_role("link", name="Importer un fichier Excel").click()
    page.get_by_label("Fichier Excel des besoins (.xlsx)").set_input_files(str(path))
    page.get_by_role("button", name="Vérifier le fichier").click()
    page.wait_for_url(re.compile(r".*/travaux/\d+$"))
    screenshot(page, "besoins-import-verification-en-attente")
    finish_job(page, app, "Voir le résultat").click()
    page.wait_for_url(re.compile(r".*/besoins/import/\d+$"))
    assert page.locator("[data-effect-difference]").inner_text().startswith("+")
    preview_url = page.url
    page.get_by_role("button", name="Confirmer et enregistrer").click()
    link = finish_job(page, app, "Voir le résultat")
    assert "Import confirmé : 1 ligne enregistrée." in page.locator(".flash-success").inner_text()
    screenshot(page, "besoins-import-confirme-par-un-travail")
    assert audit_at_both_widths(page) == []
    link.click()
    page.wait_for_url(preview_url)
    assert page.get_by_role("heading", level=1).inner_text() == "Cet import est déjà confirmé"
    page.context.close()
