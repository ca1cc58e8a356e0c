"""The accountant's two batch jobs in a real Chromium, on the demo: « émettre les titres de toutes
les factures réparties » (board, confirmation, the job's page, the titled invoices), then every
commune's état de répartition of the invoice in one zip."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from groupement.core.transaction import unit_of_work
from groupement.demo.dataset import DEMO_DOMAIN, DEMO_PASSWORD
from groupement.extensions import db
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.importing import import_invoice
from groupement.invoices.splitting import split_invoice
from groupement.organisations.user_models import User
from tests.e2e.browser import finish_job, log_in, screenshot
from tests.invoicing import approve_for_split

pytestmark = pytest.mark.browser

UBL = Path(__file__).resolve().parents[1] / "fixtures" / "invoices" / "ubl21_en16931_fr.xml"
COMMUNES = ("38053", "38553", "38172")  # Bourgoin-Jallieu, Villefontaine, Four


def split_sample(app) -> str:
    """The UBL sample imported by the demo's accountant, its anomalies accepted, split by population."""
    with app.app_context(), unit_of_work():
        accountant = db.session.scalar(select(User).where(User.email == f"comptable@{DEMO_DOMAIN}"))
        invoice = import_invoice(accountant.actor, UBL.name, UBL.read_bytes())
        approve_for_split(accountant.actor, invoice.id)
        split_invoice(accountant.actor, invoice.id, AllocationKey.POPULATION, list(COMMUNES))
        return invoice.number


def test_the_accountant_issues_every_split_invoice_s_titles_then_zips_the_statements(app, demo, page, tmp_path):
    number = split_sample(app)
    log_in(page, demo, f"comptable@{DEMO_DOMAIN}", DEMO_PASSWORD)
    page.goto(demo.url + "/factures")
    page.get_by_role("link", name=re.compile(r"Émettre les titres des \d+ factures? réparties?")).click()
    page.wait_for_url(demo.url + "/factures/titres/emission")
    confirmation = page.locator("section.titles-batch").inner_text()
    assert re.search(r"\d+ titres? de recettes à émettre", confirmation), confirmation
    screenshot(page, "titres-lot-confirmation")
    page.get_by_role("button", name=re.compile(r"Confirmer l'émission de \d+ titres?")).click()
    page.wait_for_url(re.compile(r".*/travaux/\d+$"))
    screenshot(page, "titres-lot-travail-en-attente")
    link = finish_job(page, app, "Voir les factures titrées")
    summary = page.locator(".flash-success").inner_text()
    assert re.search(r"\d+ titres? de recettes émis pour .+\s€", summary), summary
    assert page.get_by_role("link", name=re.compile(r"Télécharger titres-emis-")).count() == 1
    screenshot(page, "titres-lot-termine")
    link.click()
    page.wait_for_url(re.compile(r".*/factures\?statut=recovered$"))
    page.get_by_role("link", name=number).click()
    page.wait_for_url(re.compile(r".*/factures/\d+$"))

    page.get_by_role("button", name="Tous les états de répartition (PDF, en un zip)").click()
    finish_job(page, app, "Voir la facture")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"Télécharger etats-repartition-")).click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    with zipfile.ZipFile(io.BytesIO(saved.read_bytes())) as archive:
        names = sorted(archive.namelist())
    assert [name.rsplit("-", 1)[1] for name in names] == [f"{code}.pdf" for code in sorted(COMMUNES)]
    screenshot(page, "etats-repartition-zip-termine")
