"""The officer's offers journey in a real Chromium: import two priced DQE, set the criteria, score
an offer, read the ranking."""

from __future__ import annotations

import io
import re
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from groupement.extensions import db
from groupement.lots.edits import publish_lot
from groupement.organisations.user_models import User
from groupement.tenders.exports import lot_file
from groupement.tenders.tender_layout import DQE_COLUMNS, ECO, FIRST_LINE_ROW, UNIT_PRICE
from tests import factories
from tests.e2e.browser import screenshot

pytestmark = pytest.mark.browser
COLUMN = {title: index for index, title in enumerate(DQE_COLUMNS, start=1)}


@pytest.fixture
def tender(app, world, live_server):
    """The world's lot 1 published; two bidders and their priced DQE (the lot's own file, via dqe_workbook)."""
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == world.emails["coordinator"])).actor
        publish_lot(coordinator, world.ids["lot"], today=date(2026, 9, 1))
        suppliers = [factories.supplier(name=name) for name in ("Bureautique des Alpes", "Zénith Informatique")]
        labels = [f"{supplier.name} ({supplier.siret})" for supplier in suppliers]  # as the select shows them
        db.session.commit()
        dqe, _ = lot_file(coordinator, world.ids["lot"], "dqe")
    files = {"alpes.xlsx": priced(dqe, 764.1), "zenith.xlsx": priced(dqe, 900)}
    return {"lot": world.ids["lot"], "files": files, "labels": labels}


def priced(dqe: bytes, unit_price: float) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(dqe))
    sheet = workbook.worksheets[0]
    for row in (FIRST_LINE_ROW, FIRST_LINE_ROW + 1):
        sheet.cell(row, COLUMN[UNIT_PRICE]).value = unit_price
        sheet.cell(row, COLUMN[ECO]).value = 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_officer_imports_two_offers_sets_the_criteria_scores_and_reads_the_ranking(
    live_server, page, world, tender
):
    page.goto(live_server.url + "/connexion")
    page.get_by_label("Adresse électronique").fill(world.emails["coordinator"])
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server.url + "/")

    page.goto(f"{live_server.url}/lots/{tender['lot']}")
    page.get_by_role("link", name="Offres et critères").click()
    for (name, content), label in zip(tender["files"].items(), tender["labels"], strict=True):
        page.get_by_label("Fournisseur", exact=True).select_option(label=label)
        xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        page.get_by_label("DQE chiffré par le fournisseur").set_input_files(
            {"name": name, "mimeType": xlsx, "buffer": content}
        )
        page.get_by_role("button", name="Importer l'offre").click()
        supplier = label.split(" (")[0]
        assert f"Offre de « {supplier} » importée" in page.locator(".flash-success").inner_text()
    assert page.locator("table.offers-list tbody tr").count() == 2

    page.get_by_label("Prix", exact=True).fill("60")
    page.get_by_label("Valeur technique").fill("30")
    page.get_by_label("Critère environnemental").fill("10")
    page.get_by_role("button", name="Enregistrer les critères").click()
    assert "Critères enregistrés" in page.locator(".flash-success").inner_text()
    screenshot(page, "offres-du-lot")

    page.get_by_role("link", name="Voir et noter l'offre de Zénith Informatique").click()
    page.get_by_label("Note de valeur technique", exact=True).fill("29")
    page.get_by_label("Justification de la note technique").fill("Mémoire technique très complet.")
    page.get_by_label("Note environnementale", exact=True).fill("9,5")
    page.get_by_label("Justification de la note environnementale").fill("Reprise et recyclage des emballages.")
    page.get_by_role("button", name="Enregistrer les notes").click()
    page.wait_for_url(re.compile(r".*/lots/\d+/analyse$"))

    rows = page.locator("table.ranking tbody tr")
    # Alpes 12 241,60 € (price 60,00, not yet scored); Zénith 14 416,00 €: 60 × 12 241,6 / 14 416 = 50,95 + 29 + 9,5.
    assert [" ".join(rows.nth(i).locator("th, td").nth(1).inner_text().split()) for i in range(2)] == [
        "Zénith Informatique",
        "Bureautique des Alpes",
    ]
    assert rows.nth(0).locator("td").last.inner_text() == ""
    assert "89,45" in rows.nth(0).inner_text()
    assert "notes à saisir" in rows.nth(1).inner_text()
    screenshot(page, "rapport-analyse-des-offres")
