"""Crafted uploads over HTTP (issue 13, item 1): the agent's own needs export with one cell written
XFD01048576 with zero padding, an invoice workbook of 5 000 rows touching column XFD, a DQE whose
<dimension> covers the whole sheet, a CSV invoice with one bad byte: each gets a 422 page naming the
file and what is wrong, in French, and nothing is written."""

from __future__ import annotations

import html
import io
import re

from sqlalchemy import func, select

from groupement.campaigns.models import PendingUpload
from groupement.core.audit_log import AuditEvent
from groupement.core.formatting import number
from groupement.extensions import db
from groupement.invoices.models import Invoice
from groupement.tenders.models import Offer
from tests.conftest import csrf_token_of
from tests.crafted_files import crafted, with_cells
from tests.e2e.test_offers_pages import bidders, lot  # noqa: F401  (the fixtures of the offers pages)
from tests.e2e.test_offers_pages import upload as upload_offer


def counts(app) -> tuple[int, ...]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (PendingUpload, Invoice, Offer, AuditEvent)
        )


def words(response) -> str:
    return " ".join(
        html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).replace("\u202f", " ").split()
    )


def test_the_agents_own_export_with_a_zero_padded_far_cell_is_refused_and_nothing_kept(app, client_as, world):
    client = client_as("agent_a")
    base = f"/campagnes/{world.ids['campaign']}/besoins"
    export = client.get(f"{base}/export.xlsx")
    assert export.status_code == 200
    content = with_cells(export.data, b'<row r="01048576"><c r="XFD01048576" t="inlineStr"><is><t>x</t></is></c></row>')
    before = counts(app)
    token = csrf_token_of(client.get(f"{base}/import").get_data(as_text=True))
    response = client.post(
        f"{base}/import",
        data={"csrf_token": token, "file": (io.BytesIO(content), "besoins.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    # the grid has one line: its rows, the header's and a margin are admitted, no more
    assert (
        "besoins.xlsx 1048576 — la feuille « Besoins » a une ligne n° 1 048 576 ; au plus 541 lignes sont admises"
        in words(response)
    )
    assert counts(app) == before


def test_an_invoice_workbook_touching_column_xfd_is_refused_and_nothing_kept(app, client_as):
    client = client_as("accountant")
    before = counts(app)
    for name in ("facture-5000-lignes-colonne-XFD.xlsx", "facture-un-octet-invalide.csv"):
        token = csrf_token_of(client.get("/factures/import").get_data(as_text=True))
        response = client.post(
            "/factures/import",
            data={"csrf_token": token, "file": (io.BytesIO(crafted()[name][1]), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 422
        page = words(response)
        assert f"Fichier « {name} » refusé : rien n'a été enregistré." in page
        assert "a une cellule en colonne XFD ; au plus 40 colonnes" in page or "le 32e octet de la ligne (0xE2)" in page
    assert counts(app) == before


def test_a_dqe_declaring_the_whole_sheet_is_refused_and_nothing_kept(app, client_as, lot, bidders):  # noqa: F811
    client = client_as("coordinator")
    before = counts(app)
    response = upload_offer(
        client, lot, bidders["Bureautique des Alpes"], crafted()["offre-dimension-A1-XFD1048576.xlsx"][1]
    )
    assert response.status_code == 422
    assert f"la feuille « DQE lot 1 » déclare {number(1048576)} lignes".replace("\u202f", " ") in words(response)
    assert counts(app) == before
