"""The accountant's invoice in a real Chromium, on the demo: the Factur-X sample imported, matched
(unknown seller, buyer « LE CLIENT », its order reference none of ours, no order behind it: six
blocking anomalies), each anomaly accepted with a comment, split by population among four
communes, a commune's statement downloaded, the recovery titles issued; the UBL sample imported
and rejected with its reason."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from groupement.demo.dataset import DEMO_DOMAIN, DEMO_PASSWORD
from tests.e2e.browser import screenshot

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "invoices" / "facturx_en16931_fr.pdf"
UBL = SAMPLE.with_name("ubl21_en16931_fr.xml")
COMMUNES = ("Bourgoin-Jallieu", "Villefontaine", "Four", "Crachier")


def amount(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d,-]", "", text).replace(",", "."))


def test_the_accountant_imports_matches_splits_by_population_and_issues_the_titles(demo, page, tmp_path):
    page.goto(demo.url + "/connexion")
    page.get_by_label("Adresse électronique").fill(f"comptable@{DEMO_DOMAIN}")
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(demo.url + "/")
    page.get_by_role("link", name="Factures", exact=True).click()
    page.wait_for_url(demo.url + "/factures")

    page.get_by_label("Fichier de la facture ou de l'avoir").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Importer la facture").click()
    page.wait_for_url(re.compile(r".*/factures/\d+$"))
    flash = page.locator(".flash-success").inner_text()
    assert re.search(r"Facture n° F20260023 du FOURNISSEUR importée : 104,90\s€ TTC, 3 ligne\(s\)\.", flash), flash
    assert page.locator("table.invoice-lines tbody tr").count() == 3 + 8  # 3 lines, 4 charges, 4 allowances
    screenshot(page, "facture-importee")

    page.get_by_role("button", name="Rapprocher").click()
    flash = page.locator(".flash-warning").inner_text()
    assert "0 ligne(s) rattachée(s) à une commande, 3 sans commande, 0 écart(s)" in flash
    assert "contrôlée" in page.locator(".page-head .badge").inner_text()
    assert page.get_by_role("button", name="Répartir la facture").count() == 0  # blocked by the anomalies
    anomalies = page.locator("table.invoice-anomalies tbody tr")
    assert anomalies.count() == 6  # and the order reference (BT-13) that is none of ours
    assert {r.split("\n")[0].strip() for r in anomalies.locator("th").all_inner_texts()} == {
        "VENDEUR",
        "ACHETEUR",
        "REFERENCES",
        "COMMANDE",
    }
    screenshot(page, "facture-anomalies")

    # Each anomaly accepted with a comment: who, when and why are shown on the invoice.
    for _ in range(6):
        form = page.locator("form.resolve-form").first
        form.locator("textarea").fill("Fournisseur et acheteur vérifiés : facture refacturée aux communes.")
        form.get_by_role("button", name="Accepter l'anomalie").click()
        page.wait_for_load_state()
        assert "acceptée avec votre commentaire" in page.locator(".flash-success").inner_text()
    assert page.locator("form.resolve-form").count() == 0
    resolutions = page.locator("table.invoice-anomalies .resolution").all_inner_texts()
    assert len(resolutions) == 6
    assert all("Fournisseur et acheteur vérifiés" in text and "Acceptée par" in text for text in resolutions)

    page.get_by_label("Clé de répartition des lignes communes").select_option("population")
    assert not page.locator("th.manual-percent").is_visible()  # percentages only for the manual key
    for name in COMMUNES:
        page.get_by_label(name, exact=True).check()
    screenshot(page, "facture-repartition-saisie")
    page.get_by_role("button", name="Répartir la facture").click()

    flash = page.locator(".flash-success").inner_text()
    assert re.search(r"Facture répartie au prorata de la population : 104,90\s€ TTC entre 4 commune\(s\)\.", flash)
    rows = page.locator("table.split-result tbody tr")
    assert rows.count() == 4
    assert sorted(rows.locator("th").all_inner_texts()) == sorted(COMMUNES)
    ttc = [amount(text) for text in rows.locator("td strong").all_inner_texts()]
    assert sum(ttc) == Decimal("104.90")
    assert ttc[0] > ttc[-1] > 0  # Bourgoin-Jallieu (29 816 inhabitants) first, Crachier (590) last
    assert amount(page.locator("table.split-result tfoot strong").inner_text()) == Decimal("104.90")
    screenshot(page, "facture-repartie")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="PDF (état de Bourgoin-Jallieu)").click()
    download = download_info.value
    assert re.fullmatch(r"etat-repartition-f20260023-38053\.pdf", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")

    page.get_by_label("Date d'échéance des titres").fill("2026-12-31")
    page.get_by_role("button", name="Émettre les titres de recettes").click()
    flash = page.locator(".flash-success").inner_text()
    assert re.search(r"4 titre\(s\) de recettes émis pour 104,90\s€, échéance le 31/12/2026\.", flash), flash
    titles = page.locator("table.titles tbody tr")
    assert titles.count() == 4
    assert all(re.fullmatch(r"TR-\d{4}-\d{5}", n) for n in titles.locator("th").all_inner_texts())
    assert "titres émis" in page.locator(".page-head .badge").inner_text()
    screenshot(page, "facture-titres-emis")


def test_the_accountant_rejects_an_invoice_with_its_reason(demo, page):
    page.goto(demo.url + "/connexion")
    page.get_by_label("Adresse électronique").fill(f"comptable@{DEMO_DOMAIN}")
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(demo.url + "/")
    page.goto(demo.url + "/factures")
    page.get_by_label("Fichier de la facture ou de l'avoir").set_input_files(str(UBL))
    page.get_by_role("button", name="Importer la facture").click()
    page.wait_for_url(re.compile(r".*/factures/\d+$"))

    page.locator("details#rejeter summary").click()
    page.get_by_label("Motif du rejet").fill("Fournisseur inconnu du groupement : facture renvoyée.")
    page.get_by_role("button", name="Rejeter la facture").click()
    page.wait_for_load_state()
    assert "rejetée : elle ne sera ni répartie ni titrée" in page.locator(".flash-warning").inner_text()
    assert "rejetée" in page.locator(".page-head .badge").inner_text()
    notice = page.locator("#rejet").inner_text()
    assert "Motif : Fournisseur inconnu du groupement : facture renvoyée." in notice
    assert page.get_by_role("button", name="Rapprocher").count() == 0
    assert page.get_by_role("button", name="Répartir la facture").count() == 0
    assert page.locator("form.resolve-form").count() == 0
    screenshot(page, "facture-rejetee")
