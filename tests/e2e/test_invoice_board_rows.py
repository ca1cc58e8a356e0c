"""The invoice board read as columns (invoices/board_page.py): each row's contract and supplier
joined in the page's one SELECT, whatever the number of matched invoices; the tiles, the count and
the totals from one GROUP BY without a search, and the same figures with one."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal

from openpyxl import load_workbook

from groupement.contracts.models import Contract
from groupement.core.formatting import euros
from groupement.extensions import db
from groupement.invoices.models import Invoice
from groupement.invoices.states import InvoiceKind, InvoiceStatus
from groupement.tenders.models import Supplier
from tests.queries import count_queries

MATCHED = 60  # more than a page: a query per row would show


def flat(html: str) -> str:
    return " ".join(html.replace("\u202f", " ").replace("\xa0", " ").split())


def _invoices(app, world) -> tuple[str, str]:
    """MATCHED invoices on the world's contract, every other one with no seller name in its file
    (the supplier record's name is shown), and a disputed one apart; returns (contract number, supplier)."""
    with app.app_context():
        contract = db.session.get(Contract, world.ids["contract"])
        supplier = db.session.get(Supplier, world.ids["supplier"])
        for n in range(MATCHED):
            db.session.add(
                Invoice(
                    coordinator_id=world.ids["capi"],
                    number=f"BRD-{n:03d}",
                    number_key=f"brd{n:03d}",
                    kind=InvoiceKind.INVOICE,
                    type_code="380",
                    status=InvoiceStatus.DISPUTED if n == 0 else InvoiceStatus.CHECKED,
                    issue_date=date(2030, 1, 1) - timedelta(days=n),  # newer than the world's: first
                    currency="EUR",
                    seller_key=f"seller-{n}",
                    seller_name="" if n % 2 else "Vendeur écrit",
                    supplier_id=supplier.id,
                    contract_id=contract.id,
                    source_format="ubl",
                    file_name=f"brd-{n}.xml",
                    total_ht=Decimal("100.10") + n,
                    total_vat=Decimal("20.02"),
                    total_ttc=Decimal("120.12") + n,
                )
            )
        db.session.commit()
        return contract.number, supplier.name


def test_each_row_shows_its_contract_and_supplier_from_one_select(app, client_as, world):
    number, supplier = _invoices(app, world)
    client = client_as("accountant")
    client.get("/factures")  # the session's first visit loads what every page loads once
    with app.app_context():
        engine = db.engine
    queries = count_queries(engine, lambda: client.get("/factures"))
    html = flat(client.get("/factures").get_data(as_text=True))
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count(f">{number}</a>") == 50  # the first page: the 60 matched ones are the newest
    assert body.count(f'href="/factures/contrats/{world.ids["contract"]}"') == 50
    assert body.count(f"<td>{supplier}</td>") == 25 and body.count("<td>Vendeur écrit</td>") == 25
    assert queries <= 6, queries  # the user, the tiles' GROUP BY, the page (+ what base.html reads)

    export = client.get("/factures/export.xlsx?q=brd")
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:-1]] == [f"BRD-{n:03d}" for n in range(MATCHED)]
    assert {row[8] for row in rows[1:-1]} == {number}


def test_the_count_and_totals_follow_the_filters(app, client_as, world):
    _invoices(app, world)
    client = client_as("accountant")
    everything = flat(client.get("/factures").get_data(as_text=True))
    tiles = {label: int(figure) for figure, label in re.findall(r'tile-figure">(\d+)</span> ([^<]+)</a>', everything)}
    total = int(re.search(r'<p class="count">(\d+) factures</p>', everything).group(1))
    assert sum(tiles.values()) == total == MATCHED + 1  # and the world's recovered invoice

    checked = flat(client.get("/factures?statut=checked").get_data(as_text=True))
    assert f'<p class="count">{MATCHED - 1} factures</p>' in checked
    assert flat(euros(sum((Decimal("120.12") + n for n in range(1, MATCHED)), Decimal(0)))) in checked

    searched = flat(client.get("/factures?q=BRD-00").get_data(as_text=True))  # BRD-000 to BRD-009
    assert '<p class="count">10 factures</p>' in searched
    assert flat(euros(sum((Decimal("100.10") + n for n in range(10)), Decimal(0)))) in searched
    assert flat(euros(Decimal("200.20"))) in searched  # the VAT of the ten
    assert f"{tiles['contrôlée']}</span> contrôlée" in searched  # the tiles count every invoice still

    disputed = flat(client.get("/factures?statut=disputed&q=BRD").get_data(as_text=True))
    assert '<p class="count">1 facture</p>' in disputed and ">BRD-000</a>" in disputed
