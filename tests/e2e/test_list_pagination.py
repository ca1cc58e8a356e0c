"""Lists in pages of bounded size (web/pagination.py): the invoice board at a few hundred invoices
shows « 1–50 sur 260 », every page stays small, the status counts and the totals are those of every
filtered invoice (computed in SQL, equal to the sum of the rows), and another coordinator's
invoices are neither listed nor counted."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert

from groupement.core.access import Role
from groupement.core.formatting import euros
from groupement.core.search_text import search_key
from groupement.extensions import db
from groupement.invoices.models import Invoice
from groupement.invoices.states import InvoiceKind, InvoiceStatus
from tests import factories
from tests.conftest import log_in

MAX_PAGE_BYTES = 300_000
OURS = 260
THEIRS = 40


def _rows(coordinator_id: int, count: int, prefix: str) -> list[dict]:
    statuses = [InvoiceStatus.IMPORTED, InvoiceStatus.CHECKED, InvoiceStatus.DISPUTED]
    rows = []
    for n in range(count):
        ht = Decimal(100 + n) + Decimal("0.37")
        vat = (ht * Decimal("0.2")).quantize(Decimal("0.01"))
        rows.append(
            dict(
                coordinator_id=coordinator_id,
                number=f"{prefix}-{n:05d}",
                number_key=f"{prefix}{n:05d}",
                kind=InvoiceKind.INVOICE,
                type_code="380",
                status=statuses[n % 3],
                issue_date=date(2026, 1, 1) + timedelta(days=n % 300),
                currency="EUR",
                seller_key=f"vendeur-{prefix}",
                seller_name=f"Vendeur {prefix}",
                source_format="ubl",
                file_name=f"{prefix}-{n}.xml",
                total_ht=ht,
                total_vat=vat,
                total_ttc=ht + vat,
                rejection_reason="",
                buyer_name="",
                search_key=search_key(f"{prefix}-{n:05d}", f"Vendeur {prefix}"),  # a bulk insert runs no mapper event
            )
        )
    return rows


def _world(app) -> tuple[str, list[dict]]:
    with app.app_context():
        ours = factories.coordinator()
        theirs = factories.organisation(factories.OrganisationKind.COORDINATOR, name="Autre groupement")
        accountant = factories.user(Role.ACCOUNTANT, ours)
        rows = _rows(ours.id, OURS, "NOUS")
        db.session.execute(insert(Invoice), rows)
        db.session.execute(insert(Invoice), _rows(theirs.id, THEIRS, "EUX"))
        db.session.commit()
        return accountant.email, rows


def _flat(html: str) -> str:
    return " ".join(html.replace("\u202f", " ").replace("\xa0", " ").split())


def test_the_invoice_board_in_pages_with_counts_and_sql_totals(app, client):
    email, rows = _world(app)
    log_in(client, email)

    first = client.get("/factures")
    assert first.status_code == 200
    html = _flat(first.get_data(as_text=True))
    assert len(first.data) < MAX_PAGE_BYTES
    assert "1–50 sur 260 factures" in html
    assert html.count('href="/factures/') - html.count('href="/factures/contrats') >= 50
    assert "EUX-" not in html
    total_ht = sum((row["total_ht"] for row in rows), Decimal(0))
    total_ttc = sum((row["total_ttc"] for row in rows), Decimal(0))
    assert _flat(euros(total_ht)) in html and _flat(euros(total_ttc)) in html
    tiles = dict((label, int(figure)) for figure, label in re.findall(r'tile-figure">(\d+)</span> ([^<]+)</a>', html))
    assert sum(tiles.values()) == OURS

    seen: set[str] = set()
    for page in range(1, 7):
        response = client.get(f"/factures?page={page}")
        assert response.status_code == 200 and len(response.data) < MAX_PAGE_BYTES
        seen |= set(re.findall(r">(NOUS-\d{5})</a>", response.get_data(as_text=True)))
    assert len(seen) == OURS  # every invoice once over the pages, none lost between them
    last = _flat(client.get("/factures?page=6").get_data(as_text=True))
    assert "251–260 sur 260 factures" in last and 'rel="next"' not in last

    disputed = _flat(client.get("/factures?statut=disputed&par_page=20").get_data(as_text=True))
    disputed_rows = [row for row in rows if row["status"] == InvoiceStatus.DISPUTED]
    assert f"1–20 sur {len(disputed_rows)} factures" in disputed
    assert _flat(euros(sum((row["total_ht"] for row in disputed_rows), Decimal(0)))) in disputed

    for odd in ("page=0", "page=-3", "page=abc", "page=999999999999", "par_page=100000", "page=99999"):
        assert client.get(f"/factures?{odd}").status_code == 200


def test_the_suppliers_list_in_pages_and_searched(app, client):
    with app.app_context():
        ours = factories.coordinator()
        theirs = factories.organisation(factories.OrganisationKind.COORDINATOR, name="Autre groupement")
        coordinator = factories.user(Role.COORDINATOR, ours)
        for n in range(62):
            factories.supplier(ours, name=f"Société {n:03d}" if n % 9 else f"Société {n:03d} énergie")
        factories.supplier(theirs, name="Société d'ailleurs")
        db.session.commit()
        email = coordinator.email
    log_in(client, email)

    first = _flat(client.get("/fournisseurs").get_data(as_text=True))
    assert "1–50 sur 62 fournisseurs" in first and "Société 049" in first and "Société 050" not in first
    second = _flat(client.get("/fournisseurs?page=2").get_data(as_text=True))
    assert "51–62 sur 62 fournisseurs" in second and "Société 061" in second and "ailleurs" not in second
    searched = _flat(client.get("/fournisseurs?q=soci%C3%A9t%C3%A9+%C3%A9nergie").get_data(as_text=True))
    assert "1–7 sur 7 fournisseurs" in searched and "Société 009 énergie" in searched
