from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from groupement.core.access import Role
from groupement.core.errors import NotFound, ServiceError
from groupement.extensions import db
from groupement.invoices import scope as invoice_scope
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.einvoice import parse_invoice
from groupement.invoices.importing import import_invoice
from groupement.invoices.ledgers import commune_statement, invoice_detail, list_invoices
from groupement.invoices.recovery import issue_recovery_titles, record_payment
from groupement.invoices.splitting import split_invoice
from groupement.organisations import scope
from groupement.organisations.models import Organisation
from groupement.tenders.suppliers import SupplierData, create_supplier, list_suppliers
from tests.invoicing import approve_for_split


@pytest.fixture
def world(make):
    capi = make.coordinator()
    other_coordinator = make.coordinator(name="Autre EPCI", siren="200066793", siret=None)
    a, b, outsider = make.organisation(name="A"), make.organisation(name="B"), make.organisation(name="Hors")
    group = make.groupement(capi)
    make.membership(group, a)
    make.membership(group, b)
    make.membership(make.groupement(other_coordinator), outsider)
    return {
        "capi": capi,
        "a": a,
        "b": b,
        "outsider": outsider,
        "other": other_coordinator,
        "agent_a": make.user(Role.AGENT, a),
        "coordinator": make.user(Role.COORDINATOR, capi),
    }


def names(statement):
    from groupement.extensions import db

    return sorted(o.name for o in db.session.scalars(statement))


def test_an_agent_sees_only_their_commune(world):
    assert names(scope.organisations(world["agent_a"].actor)) == ["A"]


def test_the_coordinator_sees_itself_and_its_members_but_not_another_groupement(world):
    assert names(scope.organisations(world["coordinator"].actor)) == ["A", "B", "CAPI"]


def test_an_id_outside_scope_is_not_found(world):
    agent = world["agent_a"].actor
    assert scope.get_scoped(Organisation, world["a"].id, Organisation.id, agent).name == "A"
    for other in ("b", "capi", "outsider"):
        with pytest.raises(NotFound):
            scope.get_scoped(Organisation, world[other].id, Organisation.id, agent)
    with pytest.raises(NotFound):
        scope.get_scoped(Organisation, world["outsider"].id, Organisation.id, world["coordinator"].actor)


def test_scope_restricts_any_statement_by_its_organisation_column(world):
    statement = scope.restrict(
        select(Organisation).where(Organisation.name != "A"), Organisation.id, world["agent_a"].actor
    )
    assert names(statement) == []


# --- two coordinators: suppliers and invoicing ---------------------------------------------------

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "invoices"
UBL = SAMPLES / "ubl21_en16931_fr.xml"


@pytest.fixture
def recovered(world, make):
    """CAPI's accountant imported the sample, split it between A and B, issued titles, recorded a payment."""
    accountant = make.user(Role.ACCOUNTANT, world["capi"]).actor
    make.supplier(world["capi"], name="Fournisseur de CAPI")
    invoice = import_invoice(accountant, UBL.name, UBL.read_bytes())
    approve_for_split(accountant, invoice.id)
    split_invoice(accountant, invoice.id, AllocationKey.EQUAL, [world["a"].insee_code, world["b"].insee_code])
    titles = issue_recovery_titles(accountant, invoice.id, date(2026, 12, 31))
    record_payment(accountant, titles[0].id, date(2026, 12, 1), titles[0].amount_ttc)
    return {"invoice": invoice, "title": titles[0], "other": make.user(Role.ACCOUNTANT, world["other"]).actor}


def test_the_accountant_of_another_coordinator_lists_nothing_of_the_first(recovered):
    other = recovered["other"]
    assert list_invoices(other) == []
    assert db.session.scalars(invoice_scope.titles(other)).all() == []
    assert db.session.scalars(invoice_scope.payments(other)).all() == []
    assert db.session.scalars(invoice_scope.allocations(other)).all() == []
    assert list_suppliers(other) == []
    with pytest.raises(NotFound):
        invoice_detail(other, recovered["invoice"].id)
    with pytest.raises(NotFound):
        record_payment(other, recovered["title"].id, date(2026, 12, 2), Decimal("1.00"))
    with pytest.raises(NotFound):
        commune_statement(other, recovered["invoice"].id, recovered["title"].commune_id)


def test_the_same_siret_may_be_a_supplier_of_both_coordinators(world, make):
    siret = make.supplier(world["capi"]).siret
    other = make.user(Role.COORDINATOR, world["other"]).actor
    created = create_supplier(other, SupplierData(name="Même société", siret=siret))
    assert created.coordinator_id == world["other"].id
    assert [s.id for s in list_suppliers(other)] == [created.id]
    with pytest.raises(ServiceError, match="porte déjà le SIRET"):
        create_supplier(other, SupplierData(name="Doublon", siret=siret))


def test_an_invoice_whose_seller_is_another_coordinators_supplier_does_not_match_it(world, make):
    seller_siret = parse_invoice(UBL.read_bytes(), UBL.name).seller_siret
    make.supplier(world["other"], siret=seller_siret)
    accountant = make.user(Role.ACCOUNTANT, world["capi"]).actor
    invoice = import_invoice(accountant, UBL.name, UBL.read_bytes())
    assert invoice.supplier_id is None and invoice.coordinator_id == world["capi"].id
    assert not next(c for c in invoice.checks if c.rule == "VENDEUR").ok
