"""The needs campaign in a real Chromium, on the demo: keyboard entry, Excel round trip,
validation by the signatory, the coordinator's board."""

from __future__ import annotations

import re

import openpyxl
import pytest

from groupement.demo.dataset import DEMO_DOMAIN, DEMO_PASSWORD
from tests.e2e.browser import log_in as browser_log_in
from tests.e2e.browser import screenshot

pytestmark = pytest.mark.browser


def log_in(page, server, login):
    browser_log_in(page, server, f"{login}@{DEMO_DOMAIN}", DEMO_PASSWORD)


def open_grid(page, server):
    page.goto(server.url + "/campagnes")
    page.get_by_role("link", name="Recensement des besoins 2027").first.click()
    page.wait_for_url(re.compile(r".*/besoins$"))


def test_an_agent_types_five_quantities_with_the_keyboard_saves_and_finds_them_after_reload(demo, page):
    log_in(page, demo, "agent.bourgoin-jallieu")
    open_grid(page, demo)
    quantities = page.locator("input.qty")
    total_before = page.locator("[data-grand-total]").inner_text()
    quantities.first.focus()
    typed = ["11", "22", "33", "44", "55"]
    for value in typed:
        page.keyboard.press("Control+A")
        page.keyboard.type(value)
        page.keyboard.press("Enter")  # moves to the next quantity, does not submit
    assert page.url.endswith("/besoins")
    assert page.locator("[data-grand-total]").inner_text() != total_before  # live total
    names = [quantities.nth(i).get_attribute("name") for i in range(5)]
    screenshot(page, "besoins-saisie-clavier")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    assert "enregistrée" in page.get_by_role("status").first.inner_text()
    page.reload()
    assert [page.locator(f"input[name='{n}']").input_value() for n in names] == typed


def test_an_agent_uploads_a_modified_workbook_confirms_the_preview_then_submits(demo, page, tmp_path):
    log_in(page, demo, "agent.bourgoin-jallieu")
    open_grid(page, demo)
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger en Excel").click()
    path = tmp_path / "besoins.xlsx"
    download.value.save_as(path)

    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    header = next(row for row in sheet.iter_rows() if any(c.value == "Quantité" for c in row))
    columns = {cell.value: cell.column for cell in header}
    first = sheet.cell(row=header[0].row + 1, column=columns["Quantité"])
    ref = sheet.cell(row=header[0].row + 1, column=columns["Référence"]).value
    first.value = (first.value or 0) + 5
    workbook.save(path)
    expected = str(first.value)

    page.get_by_role("link", name="Importer un fichier Excel").click()
    page.get_by_label("Fichier Excel des besoins (.xlsx)").set_input_files(str(path))
    page.get_by_role("button", name="Vérifier le fichier").click()
    summary = page.locator(".import-summary").inner_text()
    assert re.match(r"^(1 ligne modifiée, 0 ajoutée|0 ligne modifiée, 1 ajoutée), 0 remise à zéro$", summary)
    screenshot(page, "besoins-import-apercu")
    page.get_by_role("button", name="Confirmer et enregistrer").click()
    page.wait_for_url(re.compile(r".*/besoins$"))
    row = page.locator("tr", has=page.locator(f"code:text-is('{ref}')"))
    assert row.locator("input.qty").input_value() == expected

    page.get_by_role("link", name="Soumettre les besoins").click()
    page.get_by_role("button", name="Confirmer la soumission").click()
    assert "soumis" in page.locator(".flash-success").inner_text()


def test_the_signatory_validates_and_the_coordinator_board_shows_it(demo, browser):
    signatory = browser.new_context(locale="fr-FR").new_page()
    log_in(signatory, demo, "signataire.villefontaine")  # Villefontaine's needs are submitted
    open_grid(signatory, demo)
    signatory.get_by_role("link", name="Vérifier puis valider les besoins").click()
    signatory.get_by_role("button", name="Valider les besoins").click()
    assert "validés" in signatory.locator(".flash-success").inner_text()
    assert signatory.locator(".badge").first.inner_text() == "validée"

    coordinator = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}).new_page()
    log_in(coordinator, demo, "coordinateur")
    coordinator.goto(demo.url + "/campagnes")
    coordinator.get_by_role("link", name="Recensement des besoins 2027").first.click()
    row = coordinator.locator("tr", has=coordinator.get_by_role("rowheader", name="Villefontaine"))
    assert "validée" in row.inner_text()
    assert coordinator.locator("svg[role='img']").count() >= 1
    screenshot(coordinator, "tableau-de-bord-campagne")
