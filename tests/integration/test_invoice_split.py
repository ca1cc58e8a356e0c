from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from groupement.core.access import Role
from groupement.core.errors import NotFound, ServiceError
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.importing import import_invoice
from groupement.invoices.ledgers import commune_ledger, commune_statement
from groupement.invoices.matching import resolve_check
from groupement.invoices.models import Allocation, AllocationVat, RecoveryTitle
from groupement.invoices.recovery import issue_recovery_titles, record_payment
from groupement.invoices.splitting import split_invoice
from groupement.invoices.states import CheckResolution, InvoiceStatus
from tests.invoicing import approve_for_split

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "invoices"
CAPI_FOUR = {
    "38053": ("Bourgoin-Jallieu", 29816),
    "38553": ("Villefontaine", 19018),
    "38172": ("Four", 1672),
    "38136": ("Crachier", 590),
}


@pytest.fixture
def members(make, database):
    capi = make.coordinator()
    group = make.groupement(capi)
    communes = {}
    for insee, (name, population) in CAPI_FOUR.items():
        communes[insee] = make.organisation(name=name, insee_code=insee, population=population)
        make.membership(group, communes[insee])
    accountant = make.user(Role.ACCOUNTANT, capi).actor
    database.session.commit()
    return {
        "communes": communes,
        "accountant": accountant,
        "agent_four": make.user(Role.AGENT, communes["38172"]).actor,
    }


def facturx(accountant, approve: bool = True):
    """The Factur-X sample (unknown seller, buyer « LE CLIENT », no order): its anomalies accepted
    by the coordinator unless approve is False."""
    invoice = import_invoice(accountant, "facture.pdf", (SAMPLES / "facturx_en16931_fr.pdf").read_bytes())
    if approve:
        approve_for_split(accountant, invoice.id)
    return invoice


def test_the_factur_x_sample_split_by_population_reconciles_to_the_cent(members, database):
    invoice = facturx(members["accountant"])
    result = split_invoice(members["accountant"], invoice.id, AllocationKey.POPULATION, list(CAPI_FOUR))
    assert sum(c.ht for c in result.communes) == invoice.total_ht == Decimal("100.00")
    assert sum(c.ttc for c in result.communes) == invoice.total_ttc == Decimal("104.90")
    for rate, amount in {Decimal("20.00"): Decimal("2.20"), Decimal("10.00"): Decimal("2.70")}.items():
        assert sum(c.vat.get(rate, 0) for c in result.communes) == amount
    assert result.commune("38053").ht > result.commune("38553").ht > result.commune("38172").ht
    stored = database.session.execute(select(func.sum(Allocation.ht), func.sum(Allocation.ttc))).one()
    assert stored == (Decimal("100.00"), Decimal("104.90"))
    assert database.session.scalar(select(func.sum(AllocationVat.amount))) == Decimal("4.90")
    assert invoice.status is InvoiceStatus.SPLIT
    with pytest.raises(ServiceError, match="répartie"):
        split_invoice(members["accountant"], invoice.id, AllocationKey.EQUAL, list(CAPI_FOUR))


def test_an_unknown_commune_or_an_impossible_key_is_refused_and_nothing_written(members, database):
    invoice = facturx(members["accountant"])
    with pytest.raises(ServiceError, match="inconnu"):
        split_invoice(members["accountant"], invoice.id, AllocationKey.EQUAL, ["99999"])
    with pytest.raises(ServiceError, match="autre clé"):
        split_invoice(members["accountant"], invoice.id, AllocationKey.AMOUNT, list(CAPI_FOUR))
    assert database.session.scalar(select(func.count()).select_from(Allocation)) == 0


def test_titles_payments_and_the_ledger_follow_the_split(members, database):
    invoice = facturx(members["accountant"])
    split_invoice(members["accountant"], invoice.id, AllocationKey.EQUAL, list(CAPI_FOUR))
    titles = issue_recovery_titles(members["accountant"], invoice.id, date(2027, 1, 31))
    assert len(titles) == 4 and sum(t.amount_ttc for t in titles) == Decimal("104.90")
    assert titles[0].number.startswith("TR-2026-")
    assert {t.account for t in titles} == {"70875"}  # no equipment account known: cost recovery
    four = members["communes"]["38172"]
    four_title = database.session.scalar(select(RecoveryTitle).where(RecoveryTitle.commune_id == four.id))
    record_payment(members["accountant"], four_title.id, date(2027, 2, 3), Decimal("10.00"), "mandat 42")
    with pytest.raises(ServiceError, match="dépasse le reste dû de"):
        record_payment(members["accountant"], four_title.id, date(2027, 2, 3), four_title.amount_ttc)
    ledger = commune_ledger(members["agent_four"], four.id)
    assert ledger.totals["titled"] == four_title.amount_ttc
    assert ledger.totals["outstanding"] == four_title.amount_ttc - Decimal("10.00")
    statement = commune_statement(members["agent_four"], invoice.id, four.id)
    assert sum(line.ht for line in statement.lines) == statement.allocation.ht
    with pytest.raises(NotFound):
        commune_statement(members["agent_four"], invoice.id, members["communes"]["38053"].id)
    with pytest.raises(NotFound):
        commune_ledger(members["agent_four"], members["communes"]["38053"].id)
    for title in database.session.scalars(select(RecoveryTitle)):
        paid = sum(p.amount for p in title.payments)
        if paid != title.amount_ttc:
            record_payment(members["accountant"], title.id, date(2027, 2, 4), title.amount_ttc - paid)
    assert invoice.status is InvoiceStatus.SETTLED


def test_a_disputed_price_blocks_the_split_until_accepted(members, make, database):
    invoice = facturx(members["accountant"])
    check = invoice.checks[0]
    check.kind, check.rule, check.ok = "contract", "PRIX", False  # as matching would record it
    database.session.commit()
    resolve_check(members["accountant"], check.id, CheckResolution.DISPUTED, "Prix du BPU : 28,00 €")
    assert invoice.status is InvoiceStatus.DISPUTED
    with pytest.raises(ServiceError):
        split_invoice(members["accountant"], invoice.id, AllocationKey.EQUAL, list(CAPI_FOUR))
    resolve_check(members["accountant"], check.id, CheckResolution.ACCEPTED, "Avoir promis par le fournisseur")
    split_invoice(members["accountant"], invoice.id, AllocationKey.EQUAL, list(CAPI_FOUR))
