"""The official EN 16931 section of the accountant's invoice page: each failed rule's id and
official text, fatal ones first and marked blocking, the rules that held folded."""

from __future__ import annotations

import io
import re
from pathlib import Path

from sqlalchemy import select

from groupement.extensions import db
from groupement.invoices.models import Invoice
from tests.conftest import csrf_token_of

PUBLIC = Path(__file__).resolve().parents[1] / "fixtures" / "einvoices" / "public"
GOOD = (PUBLIC / "factur-x-lib" / "factur-x-en16931.xml").read_bytes()


def _page(app, client, content: bytes) -> str:
    token = csrf_token_of(client.get("/factures").get_data(as_text=True))
    response = client.post(
        "/factures/import",
        data={"csrf_token": token, "file": (io.BytesIO(content), "facture.xml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        invoice_id = db.session.scalar(select(Invoice.id).order_by(Invoice.id.desc()))
    html = client.get(f"/factures/{invoice_id}").get_data(as_text=True)
    return html[html.index('id="officiel-titre"') : html.index('id="conformes-titre"')]


def test_a_fatal_official_rule_is_shown_with_its_id_and_text_and_blocks(app, client_as, world):
    section = _page(app, client_as("accountant"), GOOD.replace(b'unitCode="C62"', b'unitCode="ZZZZ"', 1))
    # A CII file on its own: the CEN CII rules (BR-CL-23, the unit code list) say it.
    assert "BR-CL-23" in section and "UN/ECE Recommendation 20" in section
    assert "1 règle bloquante" in section and "seulement rejetée" in section
    assert re.search(r'<details id="officiel-satisfaites">\s*<summary>\d+ règles officielles satisfaites', section)
    assert "accepter" not in section.lower()  # no accept button for an official rule


def test_a_conforming_invoice_says_so_with_the_rules_that_held_folded(app, client_as, world):
    section = _page(app, client_as("accountant"), GOOD)
    assert "facture conforme" in section and "bloquante" not in section
    assert "<code>BR-CO-10</code>" in section
