"""The offers pages over HTTP: suppliers, import of the priced DQE (and its refusals), key-in,
criteria, scores, the analysis report and its spreadsheet."""

from __future__ import annotations

import html
import io
import re
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from groupement.core.files.xlsx import XLSX_MIMETYPE
from groupement.extensions import db
from groupement.lots.edits import publish_lot
from groupement.lots.models import LotLine
from groupement.organisations.user_models import User
from groupement.tenders.models import Offer, Supplier
from groupement.tenders.tender_layout import DQE_COLUMNS, ECO, FIRST_LINE_ROW, LINE_TOTAL, REF, UNIT_PRICE
from tests.conftest import csrf_token_of

COLUMN = {title: index for index, title in enumerate(DQE_COLUMNS, start=1)}
SIRET = "38012986646850"


@pytest.fixture
def lot(app, world) -> int:
    """The world's lot 1 (10 laptops, 6 screens) published, consultation launched on 01/09/2026."""
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == world.emails["coordinator"])).actor
        publish_lot(coordinator, world.ids["lot"], today=date(2026, 9, 1))
        db.session.commit()  # as the publishing request would
    return world.ids["lot"]


@pytest.fixture
def bidders(app, world, lot) -> dict[str, int]:
    with app.app_context():
        from tests import factories

        ids = {name: factories.supplier(name=name).id for name in ("Bureautique des Alpes", "Zénith Informatique")}
        db.session.commit()
        return ids


def post_form(client, page: str, action: str, **data):
    token = csrf_token_of(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data})


def followed(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    return client.get(response.location).get_data(as_text=True)


def priced_dqe(client, lot: int, laptop: float, screen: float, declared: float | None = None, **cells) -> bytes:
    """The DQE downloaded from the lot page, priced by the bidder (eco-participations 1 and 0,50)."""
    response = client.get(f"/lots/{lot}/dqe.xlsx")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = workbook.worksheets[0]
    for row in (FIRST_LINE_ROW, FIRST_LINE_ROW + 1):
        screen_row = sheet.cell(row, COLUMN[REF]).value == "INF-ECRAN"
        sheet.cell(row, COLUMN[UNIT_PRICE]).value = screen if screen_row else laptop
        sheet.cell(row, COLUMN[ECO]).value = 0.5 if screen_row else 1
    if declared is not None:
        sheet.cell(FIRST_LINE_ROW + 2, COLUMN[LINE_TOTAL]).value = declared
    for cell, value in cells.items():
        sheet[cell] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, lot: int, supplier: int, content: bytes, variant: bool = False):
    token = csrf_token_of(client.get(f"/lots/{lot}/offres").get_data(as_text=True))
    data = {"csrf_token": token, "supplier_id": str(supplier), "file": (io.BytesIO(content), "offre.xlsx")}
    if variant:
        data["is_variant"] = "y"
    return client.post(f"/lots/{lot}/offres/import", data=data, content_type="multipart/form-data")


def text_of(page: str) -> str:
    """The words of a page: no tags, entities decoded, every kind of space a plain one."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


# --- suppliers ----------------------------------------------------------------------------------


def test_the_coordinator_creates_a_supplier_and_a_bad_siret_is_refused_in_french(client_as, app):
    client = client_as("coordinator")
    refused = post_form(client, "/fournisseurs/nouveau", "/fournisseurs/nouveau", name="Orange", siret="38012986646851")
    assert refused.status_code == 422
    assert "SIRET invalide « 38012986646851 » : clé de contrôle incorrecte." in refused.get_data(as_text=True)

    created = followed(
        client,
        post_form(client, "/fournisseurs/nouveau", "/fournisseurs/nouveau", name="Orange Business", siret=SIRET),
    )
    assert "Fournisseur « Orange Business » créé (SIRET 38012986646850)." in created
    with app.app_context():
        supplier = db.session.scalar(select(Supplier).where(Supplier.siret == SIRET))
    edited = followed(
        client,
        post_form(
            client,
            f"/fournisseurs/{supplier.id}/modifier",
            f"/fournisseurs/{supplier.id}/modifier",
            name="Orange Business Services",
            siret=SIRET,
            contact_email="marches@orange.example",
        ),
    )
    assert "Fournisseur « Orange Business Services » enregistré." in edited


def test_the_accountant_reads_the_suppliers_without_editing_them(client_as, world):
    page = client_as("accountant").get("/fournisseurs").get_data(as_text=True)
    assert "Informatique Dauphiné" in page
    assert "Nouveau fournisseur" not in page and "/modifier" not in page


# --- import -------------------------------------------------------------------------------------


def test_the_officer_imports_the_priced_dqe_and_sees_the_recomputed_total(client_as, lot, bidders):
    client = client_as("coordinator")
    page = text_of(
        followed(client, upload(client, lot, bidders["Bureautique des Alpes"], priced_dqe(client, lot, 764.1, 110)))
    )
    assert "Offre de « Bureautique des Alpes » importée : total DQE recalculé 8 314,00 € HT." in page
    assert "1 offre reçue" in page

    variant = followed(
        client, upload(client, lot, bidders["Bureautique des Alpes"], priced_dqe(client, lot, 700, 110), variant=True)
    )
    assert "Offre variante de « Bureautique des Alpes » importée" in variant
    assert "badge-variant" in variant


def test_a_declared_total_that_differs_is_shown_as_a_warning_and_the_offer_is_kept(client_as, lot, bidders, app):
    client = client_as("coordinator")
    content = priced_dqe(client, lot, 764.1, 110, declared=8000)
    page = followed(client, upload(client, lot, bidders["Zénith Informatique"], content))
    assert 'class="flash flash-warning"' in page
    assert "diffère du total recalculé" in page and "écart" in page
    with app.app_context():
        offer = db.session.scalar(select(Offer).where(Offer.lot_id == lot))
        assert str(offer.total_ht) == "8314.00" and str(offer.declared_total_ht) == "8000.00"


def test_a_refused_file_lists_every_error_with_sheet_row_and_column(client_as, lot, bidders, app):
    client = client_as("coordinator")
    content = priced_dqe(client, lot, -5, 110, F8=3, F9="beaucoup")  # quantities typed over, a negative price
    response = upload(client, lot, bidders["Zénith Informatique"], content)
    assert response.status_code == 422
    page = text_of(response.get_data(as_text=True))
    assert "Import refusé : 3 erreurs, rien n'a été enregistré." in page
    assert "offre.xlsx, onglet « DQE lot 1 »" in page
    assert "quantité modifiée : 3 au lieu de 6" in page
    assert "montant négatif (-5) : un prix est positif ou nul" in page
    with app.app_context():
        assert db.session.scalar(select(Offer).where(Offer.lot_id == lot)) is None


def test_a_draft_lot_takes_no_offer(client_as, world):
    page = client_as("coordinator").get(f"/lots/{world.ids['lot_2']}/offres").get_data(as_text=True)
    assert "est en préparation : publiez-le avant d'enregistrer des offres." in text_of(page)
    assert "Importer l'offre" not in text_of(page)
    assert f'action="/lots/{world.ids["lot_2"]}/criteres"' in page  # criteria may be set before publication


# --- key-in, criteria, scores, report ------------------------------------------------------------


def test_an_offer_is_keyed_in_and_a_bad_price_keeps_what_was_typed(client_as, lot, bidders, app):
    client = client_as("coordinator")
    with app.app_context():
        lines = {line.ref: line.id for line in db.session.scalars(select(LotLine).where(LotLine.lot_id == lot))}
    screen, laptop = lines["INF-ECRAN"], [i for r, i in lines.items() if r != "INF-ECRAN"][0]
    form = f"/lots/{lot}/offres/saisie"
    supplier = str(bidders["Zénith Informatique"])
    bad = post_form(client, form, form, supplier_id=supplier, **{f"prix-{laptop}": "800", f"prix-{screen}": "douze"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "INF-ECRAN : « douze » n'est pas un nombre" in text_of(page)
    assert 'value="douze"' in page and 'aria-invalid="true"' in page

    good = followed(
        client,
        post_form(
            client,
            form,
            form,
            supplier_id=supplier,
            **{f"prix-{laptop}": "800", f"eco-{laptop}": "1", f"prix-{screen}": "120,5"},
        ),
    )
    assert "Offre de « Zénith Informatique » saisie : total DQE recalculé 8 733,00 € HT." in text_of(good)


def test_criteria_scores_and_the_analysis_report(client_as, lot, bidders, app):
    client = client_as("coordinator")
    followed(client, upload(client, lot, bidders["Bureautique des Alpes"], priced_dqe(client, lot, 764.1, 110)))
    followed(client, upload(client, lot, bidders["Zénith Informatique"], priced_dqe(client, lot, 900, 120)))
    offers_page = f"/lots/{lot}/offres"
    criteria = f"/lots/{lot}/criteres"
    without_environment = followed(
        client,
        post_form(
            client,
            offers_page,
            criteria,
            price_weight="60",
            technical_weight="40",
            environmental_weight="0",
            abnormally_low_percent="70",
        ),
    )
    assert "art. L2152-7 du code de la commande publique" in without_environment
    saved = followed(
        client,
        post_form(
            client,
            offers_page,
            criteria,
            price_weight="60",
            technical_weight="30",
            environmental_weight="10",
            abnormally_low_percent="70",
        ),
    )
    assert "Critères enregistrés : prix 60, valeur technique 30, environnement 10." in saved

    with app.app_context():
        offers = {o.supplier.name: o.id for o in db.session.scalars(select(Offer).where(Offer.lot_id == lot))}
    alpes = offers["Bureautique des Alpes"]
    unjustified = post_form(
        client, f"/offres/{alpes}", f"/offres/{alpes}/notes", technical_score="20", environmental_score="5"
    )
    assert unjustified.status_code == 422
    assert "Justifiez par écrit la note « valeur technique »." in text_of(unjustified.get_data(as_text=True))
    report = followed(
        client,
        post_form(
            client,
            f"/offres/{alpes}",
            f"/offres/{alpes}/notes",
            technical_score="20,5",
            technical_justification="Mémoire technique précis.",
            environmental_score="5",
            environmental_justification="Reprise des emballages.",
        ),
    )
    text = text_of(report)
    assert "Notes de l'offre de « Bureautique des Alpes » enregistrées." in text
    # Alpes 8 314,00 € is the lowest: 60 points for the price; Zénith 9 733,00 €: 60 × 8 314 / 9 733 = 51,25.
    assert "1 Bureautique des Alpes 8 314,00 € 60,00 20,50 5,00 85,50" in text.replace("\u202f", " ").replace(
        "\u00a0", " "
    )
    assert "2 Zénith Informatique 9 733,00 € 51,25 — — 51,25 notes à saisir" in text
    assert "Analyse provisoire : des notes restent à saisir." in text
    assert "Offre anormalement basse : total DQE inférieur à 70 % de la moyenne des autres offres" in text

    export = client.get(f"/lots/{lot}/analyse.xlsx")
    assert export.status_code == 200 and export.mimetype == XLSX_MIMETYPE
    assert 'filename="analyse-offres-lot-01.xlsx"' in export.headers["Content-Disposition"]


def test_the_lot_page_links_to_its_offers_and_analysis(client_as, world):
    page = client_as("accountant").get(f"/lots/{world.ids['lot']}").get_data(as_text=True)
    assert "Offres et analyse" in page
    assert f'href="/lots/{world.ids["lot"]}/offres"' in page and f'href="/lots/{world.ids["lot"]}/analyse"' in page


def test_the_report_of_the_awarded_lot_is_readable_by_the_admin(client_as, world):
    page = client_as("admin").get(f"/lots/{world.ids['contract_lot']}/analyse").get_data(as_text=True)
    assert "Rapport d'analyse des offres" in page and "Informatique Dauphiné" in page
    assert "Méthode de notation" in page
