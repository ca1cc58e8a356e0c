"""The suppliers' and invoices' searches are blind to accents and case on SQLite and PostgreSQL
alike (SQLite's lower() folds ASCII only): each row keeps a search key (core/search_text.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from groupement.core.access import Role
from groupement.core.search_text import search_key
from groupement.extensions import db
from groupement.invoices.models import Invoice
from groupement.invoices.states import InvoiceKind
from tests import factories
from tests.conftest import log_in


def _invoice(coordinator_id: int, number: str, seller: str) -> Invoice:
    row = Invoice(
        coordinator_id=coordinator_id,
        number=number,
        number_key=number.replace("-", ""),
        kind=InvoiceKind.INVOICE,
        type_code="380",
        issue_date=date(2026, 11, 2),
        currency="EUR",
        seller_key=seller,
        seller_name=seller,
        source_format="ubl",
        file_name=f"{number}.xml",
        total_ht=Decimal("100.00"),
        total_vat=Decimal("20.00"),
        total_ttc=Decimal("120.00"),
    )
    db.session.add(row)
    db.session.flush()
    return row


def test_the_search_key_drops_accents_case_and_extra_spaces():
    assert search_key("Énergie  Services", "12345678900011") == "energie services 12345678900011"
    assert search_key("ÉCRAN", "œuvre") == "ecran œuvre"


def test_energie_finds_energie_services_and_ecran_finds_an_ecran_invoice(app, client):
    with app.app_context():
        ours = factories.coordinator()
        theirs = factories.organisation(factories.OrganisationKind.COORDINATOR, name="Autre groupement")
        accountant = factories.user(Role.ACCOUNTANT, ours)
        factories.supplier(ours, name="Énergie Services")
        factories.supplier(ours, name="Papeterie du Centre")
        factories.supplier(theirs, name="Énergie d'ailleurs")
        _invoice(ours.id, "F-2026-001", "Fournitures écran SARL")
        _invoice(ours.id, "F-2026-002", "Papeterie du Centre")
        _invoice(theirs.id, "F-2026-003", "Écran d'ailleurs")
        db.session.commit()
        email = accountant.email
    log_in(client, email)

    found = client.get("/fournisseurs?q=energie").get_data(as_text=True)
    assert "Énergie Services" in found and "Papeterie" not in found and "ailleurs" not in found
    assert "Énergie Services" in client.get("/fournisseurs?q=%C3%89NERGIE+serv").get_data(as_text=True)

    invoices = client.get("/factures?q=ECRAN").get_data(as_text=True)
    assert "F-2026-001" in invoices and "F-2026-002" not in invoices and "F-2026-003" not in invoices
    assert "F-2026-001" in client.get("/factures?q=%C3%A9cran+sarl").get_data(as_text=True)
    assert "F-2026-001" not in client.get("/factures?q=%25").get_data(as_text=True)  # % is a character


def test_a_renamed_supplier_is_found_by_its_new_name(database):
    supplier = factories.supplier(name="Ancien nom")
    supplier.name = "Société Générale d'Électricité"
    db.session.flush()
    assert supplier.search_key.startswith("societe generale d'electricite ")
