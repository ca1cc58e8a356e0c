"""The purchasing officer's journey in a real Chromium, on the demo: close the 2027 campaign,
aggregate it, move an item between two lots, publish a lot, download the tender file."""

from __future__ import annotations

import re
import zipfile

import pytest

from groupement.core.jobs_runner import run_pending_jobs
from groupement.demo.dataset import DEMO_DOMAIN, DEMO_PASSWORD
from tests.e2e.browser import SCREENSHOTS, finish_job, screenshot
from tests.e2e.browser import log_in as browser_log_in

pytestmark = pytest.mark.browser


def log_in(page, server, login):
    browser_log_in(page, server, f"{login}@{DEMO_DOMAIN}", DEMO_PASSWORD)


def test_the_coordinator_closes_aggregates_moves_an_item_publishes_a_lot_and_downloads_the_tender_file(
    app, demo, page, tmp_path
):
    log_in(page, demo, "coordinateur")
    page.goto(demo.url + "/campagnes")
    page.get_by_role("link", name="Recensement des besoins 2027").first.click()
    page.wait_for_url(re.compile(r".*/campagnes/\d+$"))

    page.get_by_label("Je confirme la clôture").check()
    page.get_by_role("button", name="Clôturer la campagne").click()
    assert "Campagne clôturée" in page.locator(".flash-success").inner_text()

    page.get_by_label("Je confirme l'agrégation").check()
    page.get_by_role("button", name="Agréger les besoins validés").click()
    result = finish_job(page, app, "Voir le résultat")  # the aggregation is a background job
    assert "Besoins validés agrégés" in page.locator(".flash-success").inner_text()
    result.click()
    page.wait_for_url(re.compile(r".*/campagnes/\d+/lots$"))
    assert page.locator("svg.chart").count() == 1
    screenshot(page, "lots-apres-agregation")

    # Move the first item of lot 1 into lot 2 (both are IT equipment).
    # One table of lines, a tbody per lot headed by its title row (the lines are paged, 100 at a time).
    lot_rows = "table.lot-lines tbody"
    first_lot, second_lot = page.locator(lot_rows).nth(0), page.locator(lot_rows).nth(1)
    assert first_lot.locator("tr:not(.lot-heading)").count() > 1  # lot 1 keeps lines: both lots stay in place
    ref = first_lot.locator("tr:not(.lot-heading) code").first.inner_text()
    second_title = second_lot.locator("tr.lot-heading a").inner_text()
    first_lot.get_by_role("checkbox").first.check()
    page.get_by_label("Déplacer vers").select_option(label=f"Lot 2 — {second_title}")
    page.get_by_role("button", name="Déplacer les lignes cochées").click()
    assert f"1 ligne déplacée vers le lot n° 2 « {second_title} »." in page.locator(".flash-success").inner_text()
    second_lot = page.locator(lot_rows).nth(1)
    assert ref in second_lot.locator("code").all_inner_texts()
    assert ref not in page.locator(lot_rows).nth(0).locator("code").all_inner_texts()
    screenshot(page, "lots-apres-deplacement")
    second_lot.scroll_into_view_if_needed()
    assert page.get_by_role("button", name="Déplacer les lignes cochées").is_visible()  # the bar follows the list
    page.screenshot(path=str(SCREENSHOTS / "lots-barre-de-deplacement.png"))

    # Publish lot 1 from its page.
    page.locator("table.lots-summary tbody tr").first.get_by_role("link").click()
    page.wait_for_url(re.compile(r".*/lots/\d+$"))
    assert page.locator(".advice-explanation li").count() >= 3
    screenshot(page, "lot-detail-avant-publication")
    page.get_by_label("Je confirme la publication").check()
    page.get_by_role("button", name="Publier le lot").click()
    assert "publié" in page.locator(".flash-success").inner_text()
    assert page.get_by_role("button", name="Publier le lot").count() == 0
    assert page.get_by_role("button", name="Enregistrer les paramètres").count() == 0
    screenshot(page, "lot-detail-publie")

    # The whole tender file.
    page.get_by_role("link", name="Lots", exact=True).click()
    page.wait_for_url(re.compile(r".*/campagnes/\d+/lots$"))
    # The whole tender file is a background job: its page shows the progress, then the download.
    page.get_by_role("button", name="Préparer le dossier de consultation (zip)").click()
    page.wait_for_url(re.compile(r".*/travaux/\d+$"))
    assert page.locator("progress").count() == 1
    screenshot(page, "dossier-en-preparation")
    run_pending_jobs(app)  # the worker's part, on the same database and queue as the live server
    download_link = page.get_by_role("link", name=re.compile(r"^Télécharger dossier-"))
    download_link.wait_for(timeout=15_000)  # static/jobs.js saw the end and reloaded the page
    with page.expect_download() as download:
        download_link.click()
    path = tmp_path / "dossier.zip"
    download.value.save_as(path)
    assert download.value.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert names and all(name.endswith(".xlsx") for name in names)
    assert any(name.endswith("/DQE.xlsx") for name in names)
    assert any(name.startswith("annexes-communes/") for name in names)
