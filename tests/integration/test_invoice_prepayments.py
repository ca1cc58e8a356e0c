"""A final invoice that deducts earlier prepayment invoices (BT-113, type 386): matched to the
supplier's prepayment invoices of the same order, its titles bill each commune its share of the
amount due only (the prepaid part was titled with the prepayment invoice), and when the deducted
amount matches no prepayment invoice, an anomaly says why and blocks the split."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from groupement.core.access import Role
from groupement.core.timeutil import paris_today
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.importing import import_invoice
from groupement.invoices.matching import blocking_checks, reject_invoice
from groupement.invoices.models import RecoveryTitle
from groupement.invoices.recovery import issue_recovery_titles
from groupement.invoices.splitting import split_invoice
from groupement.invoices.states import InvoiceStatus
from groupement.invoices.title_rules import TitleRefused
from tests.invoicing import approve_for_split, simple_ubl

D = Decimal
DUE = paris_today() + timedelta(days=30)


@pytest.fixture
def group(make, database):
    capi = make.coordinator()
    grp = make.groupement(capi)
    communes = {}
    for insee, name, population in (
        ("38053", "Commune A", 50000),
        ("38553", "Commune B", 30000),
        ("38193", "Commune C", 20000),
    ):
        communes[insee] = make.organisation(name=name, insee_code=insee, population=population)
        make.membership(grp, communes[insee])
    accountant = make.user(Role.ACCOUNTANT, capi).actor
    database.session.commit()
    return {"actor": accountant, "communes": communes}


def _split_and_title(actor, invoice) -> list[RecoveryTitle]:
    approve_for_split(actor, invoice.id)
    split_invoice(actor, invoice.id, AllocationKey.POPULATION)
    return issue_recovery_titles(actor, invoice.id, DUE)


def test_the_final_invoice_titles_bill_each_commune_its_share_of_the_amount_due_only(group):
    """Worked figures: prepayment AC-1 of 1 000,00 HT + 200,00 VAT = 1 200,00 TTC, split by population
    (50 000 / 30 000 / 20 000) and titled 600,00 / 360,00 / 240,00. Final invoice F-1 of 6 000,00 HT
    + 1 200,00 VAT = 7 200,00 TTC deducting 1 200,00: split 3 600,00 / 2 160,00 / 1 440,00 TTC, titled
    3 000,00 / 1 800,00 / 1 200,00 (6 000,00 due). Each commune is titled in all its share of 7 200,00."""
    actor, ids = group["actor"], {c.id: insee for insee, c in group["communes"].items()}
    prepayment = import_invoice(actor, "acompte.xml", simple_ubl("AC-1", "1000.00", type_code="386"))
    prepayment_titles = _split_and_title(actor, prepayment)
    assert {ids[t.commune_id]: t.amount_ttc for t in prepayment_titles} == {
        "38053": D("600.00"),
        "38553": D("360.00"),
        "38193": D("240.00"),
    }

    final = import_invoice(actor, "finale.xml", simple_ubl("F-1", "6000.00", prepaid="1200.00"))
    [check] = [c for c in final.checks if c.rule == "ACOMPTE"]
    assert check.ok, check.message
    assert "facture(s) d'acompte de la même commande n° AC-1 du 17/06/2026 (1\u202f200,00\u00a0€)" in check.message
    assert "net à payer 6\u202f000,00\u00a0€" in check.message
    assert prepayment.deducted_by_id == final.id

    titles = _split_and_title(actor, final)
    assert {a.commune_id: a.ttc for a in final_allocations(final)} == {
        group["communes"]["38053"].id: D("3600.00"),
        group["communes"]["38553"].id: D("2160.00"),
        group["communes"]["38193"].id: D("1440.00"),
    }
    billed = {ids[t.commune_id]: t.amount_ttc for t in titles}
    assert billed == {"38053": D("3000.00"), "38553": D("1800.00"), "38193": D("1200.00")}
    assert sum(billed.values()) == final.payable == D("6000.00")
    assert all(
        "déduction faite des acomptes (AC-1 : 1\u202f200,00\u00a0€, chaque commune déduisant son titre d'acompte)"
        in t.object
        for t in titles
    )
    everything = {ids[t.commune_id]: t.amount_ttc for t in prepayment_titles}
    assert {k: everything[k] + billed[k] for k in billed} == {
        "38053": D("3600.00"),
        "38553": D("2160.00"),
        "38193": D("1440.00"),
    }


def final_allocations(invoice):
    from groupement.extensions import db
    from groupement.invoices.models import Allocation

    return db.session.scalars(select(Allocation).where(Allocation.invoice_id == invoice.id)).all()


def test_an_uneven_amount_due_is_split_to_the_cent(group, database):
    actor = group["actor"]
    prepayment = import_invoice(actor, "acompte.xml", simple_ubl("AC-7", "333.33", type_code="386"))
    prepayment_titles = _split_and_title(actor, prepayment)
    final = import_invoice(actor, "finale.xml", simple_ubl("F-7", "1000.01", prepaid=str(prepayment.total_ttc)))
    titles = _split_and_title(actor, final)
    assert final.payable == D("1200.01") - D("400.00")
    assert sum(t.amount_ttc for t in titles) == final.payable
    # Each commune deducts its own prepayment title, so that the two titles make its share of the
    # final invoice to the cent (a pro rata of the 800,01 € due would give 160,00 / 240,00 / 400,01).
    prepaid_by = {t.commune_id: t.amount_ttc for t in prepayment_titles}
    shares = {a.commune_id: a.ttc for a in final_allocations(final)}
    assert {t.commune_id: t.amount_ttc + prepaid_by[t.commune_id] for t in titles} == shares
    assert sorted(t.amount_ttc for t in titles) == [D("159.99"), D("240.00"), D("400.02")]


def test_the_final_invoice_is_not_titled_before_its_prepayment_and_nothing_is_written(group, database):
    actor = group["actor"]
    prepayment = import_invoice(actor, "acompte.xml", simple_ubl("AC-2", "1000.00", type_code="386"))
    final = import_invoice(actor, "finale.xml", simple_ubl("F-2", "6000.00", prepaid="1200.00"))
    approve_for_split(actor, final.id)
    split_invoice(actor, final.id, AllocationKey.POPULATION)
    database.session.commit()
    with pytest.raises(TitleRefused, match="Émettez d'abord les titres de la facture d'acompte n° AC-2 \\(importée\\)"):
        issue_recovery_titles(actor, final.id, DUE)
    database.session.rollback()
    assert database.session.scalars(select(RecoveryTitle)).all() == []
    assert (final.status, prepayment.deducted_by_id) == (InvoiceStatus.SPLIT, final.id)


def test_a_deducted_amount_that_matches_no_prepayment_invoice_blocks_with_its_reason(group):
    actor = group["actor"]
    lonely = import_invoice(actor, "finale.xml", simple_ubl("F-3", "6000.00", prepaid="1200.00"))
    [check] = [c for c in lonely.checks if c.rule == "ACOMPTE"]
    assert not check.ok and check in blocking_checks(lonely)
    assert "aucune facture d'acompte de ce fournisseur n'a été importée" in check.message

    import_invoice(actor, "acompte-a.xml", simple_ubl("AC-3", "500.00", type_code="386"))
    import_invoice(actor, "acompte-b.xml", simple_ubl("AC-4", "300.00", type_code="386", order_reference="BC-99"))
    other = import_invoice(actor, "finale-2.xml", simple_ubl("F-4", "6000.00", prepaid="1000.00"))
    [check] = [c for c in other.checks if c.rule == "ACOMPTE"]
    assert not check.ok
    assert "aucune combinaison des factures d'acompte de ce fournisseur ne fait ce montant" in check.message
    assert (
        "n° AC-3 du 17/06/2026 (600,00\u00a0€), n° AC-4 du 17/06/2026 (360,00\u00a0€) ; 960,00\u00a0€ en tout"
        in check.message
    )


def test_two_prepayments_of_other_orders_are_matched_when_together_they_make_the_amount(group):
    actor = group["actor"]
    first = import_invoice(actor, "a.xml", simple_ubl("AC-5", "500.00", type_code="386", order_reference="BC-1"))
    second = import_invoice(actor, "b.xml", simple_ubl("AC-6", "300.00", type_code="386", order_reference="BC-2"))
    final = import_invoice(actor, "f.xml", simple_ubl("F-5", "2000.00", prepaid="960.00", order_reference="BC-3"))
    [check] = [c for c in final.checks if c.rule == "ACOMPTE"]
    assert check.ok and "du même fournisseur n° AC-5" in check.message
    assert (first.deducted_by_id, second.deducted_by_id) == (final.id, final.id)


def test_a_prepayment_deducted_once_is_not_deducted_again_unless_that_invoice_is_rejected(group):
    actor = group["actor"]
    import_invoice(actor, "acompte.xml", simple_ubl("AC-8", "1000.00", type_code="386"))
    first = import_invoice(actor, "f1.xml", simple_ubl("F-8", "6000.00", prepaid="1200.00"))
    second = import_invoice(actor, "f2.xml", simple_ubl("F-9", "6000.00", prepaid="1200.00", issue_date="2026-06-18"))
    assert [c.ok for c in first.checks if c.rule == "ACOMPTE"] == [True]
    [check] = [c for c in second.checks if c.rule == "ACOMPTE"]
    assert not check.ok and "toutes sont déjà déduites par une autre facture" in check.message

    reject_invoice(actor, first.id, "Facture remplacée par la F-10.")
    third = import_invoice(actor, "f3.xml", simple_ubl("F-10", "6000.00", prepaid="1200.00", issue_date="2026-06-19"))
    assert [c.ok for c in third.checks if c.rule == "ACOMPTE"] == [True]
