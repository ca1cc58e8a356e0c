"""Importing e-invoices as they really arrive (issue 15): every EN 16931 document type stored with
its kind and sign, the prepayment deducted (BT-113), header-only Factur-X (MINIMUM, BASIC WL)
split by a key with the supplier's PDF kept and downloadable, Factur-X EXTENDED sub-lines and
logistics charges, a line beyond Peppol R120's slack blocking the split until accepted."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from groupement.core.access import Role
from groupement.core.errors import NotFound
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.importing import InvoiceRejected, import_invoice
from groupement.invoices.invoice_file import invoice_pdf
from groupement.invoices.matching import blocking_checks, match_invoice, resolve_check, split_blockers
from groupement.invoices.splitting import split_invoice
from groupement.invoices.states import CheckResolution, InvoiceKind
from tests.conftest import log_in
from tests.invoicing import approve_for_split
from tests.unit.test_einvoice_profiles import pdf_with

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "invoices"
LIBRARY = FIXTURES / "factur-x-lib"
D = Decimal


@pytest.fixture
def members(make, database):
    capi = make.coordinator()
    other = make.coordinator(name="Autre EPCI", siren="200066793", siret=None)
    group = make.groupement(capi)
    communes = {}
    for insee, name, population in (("38053", "Bourgoin-Jallieu", 29816), ("38553", "Villefontaine", 19018)):
        communes[insee] = make.organisation(name=name, insee_code=insee, population=population)
        make.membership(group, communes[insee])
    accountant = make.user(Role.ACCOUNTANT, capi)
    other_accountant = make.user(Role.ACCOUNTANT, other)
    database.session.commit()
    return {"accountant": accountant, "actor": accountant.actor, "other": other_accountant.actor}


def cii(code: str) -> bytes:
    text = (LIBRARY / "factur-x-en16931.xml").read_text()
    return text.replace("<ram:TypeCode>380</ram:TypeCode>", f"<ram:TypeCode>{code}</ram:TypeCode>", 1).encode()


@pytest.mark.parametrize(
    ("code", "kind", "sign"),
    [
        ("389", InvoiceKind.SELF_BILLED, 1),
        ("386", InvoiceKind.PREPAYMENT, 1),
        ("875", InvoiceKind.INVOICE, 1),
        ("261", InvoiceKind.CREDIT_NOTE, -1),
        ("396", InvoiceKind.CREDIT_NOTE, -1),
    ],
)
def test_each_document_type_is_stored_with_its_kind_and_signed_amounts(members, database, code, kind, sign):
    invoice = import_invoice(members["actor"], f"type-{code}.xml", cii(code))
    database.session.commit()  # the kind column's CHECK constraint takes the new kinds (migration 0021)

    assert (invoice.type_code, invoice.kind) == (code, kind)
    assert (invoice.total_ht, invoice.total_ttc) == (sign * D("100.00"), sign * D("104.90"))
    assert sum(line.net_amount for line in invoice.lines) == sign * D("95.00")


def test_a_final_invoice_deducts_its_prepayments_bt_113_and_names_the_prepayment_invoices(members):
    final = (FIXTURES / "ubl21_en16931_fr.xml").read_text()
    prepayment_file = (
        final.replace("<cbc:ID>F124212</cbc:ID>", "<cbc:ID>AC-2026-001</cbc:ID>", 1)
        .replace("<cbc:InvoiceTypeCode>380<", "<cbc:InvoiceTypeCode>386<")
        .replace('<cbc:PrepaidAmount currencyID="EUR">100.00<', '<cbc:PrepaidAmount currencyID="EUR">0.00<')
        .replace('<cbc:PayableAmount currencyID="EUR">208.03<', '<cbc:PayableAmount currencyID="EUR">308.03<')
    )
    prepayment = import_invoice(members["actor"], "acompte.xml", prepayment_file.encode())
    assert (prepayment.kind, prepayment.prepaid) == (InvoiceKind.PREPAYMENT, D("0"))
    assert not [c for c in prepayment.checks if c.rule == "ACOMPTE"]

    invoice = import_invoice(members["actor"], "ubl.xml", final.encode())
    assert (invoice.total_ttc, invoice.prepaid, invoice.payable) == (D("308.03"), D("100.00"), D("208.03"))
    [check] = [c for c in invoice.checks if c.rule == "ACOMPTE"]
    # The prepayment invoice found (308,03 €) does not make the 100,00 € deducted: a blocking anomaly.
    assert not check.ok and check.kind == "identity"
    assert "Acomptes déduits (BT-113) de 100,00\u00a0€, mais aucune combinaison" in check.message
    assert "n° AC-2026-001 du " in check.message and "net à payer 208,03\u00a0€" in check.message


def test_a_basic_wl_pdf_is_split_by_a_key_and_its_pdf_kept_as_the_legal_invoice(members, database, app):
    content = pdf_with((LIBRARY / "factur-x-basicwl.xml").read_bytes())
    invoice = import_invoice(members["actor"], "basic-wl.pdf", content)
    database.session.commit()

    assert (invoice.profile, invoice.header_only) == ("BASIC WL", True)
    assert sorted((line.vat_category, line.vat_rate, line.net_amount) for line in invoice.lines) == [
        ("E", D("0.00"), D("60.00")),
        ("K", D("0.00"), D("0.00")),
        ("S", D("10.00"), D("28.00")),
        ("S", D("20.00"), D("7.00")),
    ]
    assert invoice_pdf(members["actor"], invoice.id) == (content, "basic-wl.pdf")
    with pytest.raises(NotFound):
        invoice_pdf(members["other"], invoice.id)

    match_invoice(members["actor"], invoice.id)
    assert not [c for c in invoice.checks if c.rule == "COMMANDE"]  # nothing to tie: shared by the key
    approve_for_split(members["actor"], invoice.id)
    result = split_invoice(members["actor"], invoice.id, AllocationKey.POPULATION)
    assert (result.total_ht, result.total_ttc) == (D("100.00"), D("104.90"))
    assert sum(c.ttc for c in result.communes) == D("104.90")
    database.session.commit()

    client = app.test_client()
    log_in(client, members["accountant"].email)
    page = client.get(f"/factures/{invoice.id}").get_data(as_text=True)
    assert "Télécharger le PDF du fournisseur" in page and "Facture sans lignes (profil Factur-X BASIC WL)" in page
    response = client.get(f"/factures/{invoice.id}/facture.pdf")
    assert (response.status_code, response.mimetype, response.data) == (200, "application/pdf", content)


def test_a_minimum_invoice_keeps_its_declared_vat_through_the_split(members):
    invoice = import_invoice(members["actor"], "minimum.xml", (LIBRARY / "factur-x-minimum.xml").read_bytes())
    [line] = invoice.lines
    assert (line.net_amount, line.vat_rate, [v.amount for v in invoice.vat]) == (D("100.00"), D("4.90"), [D("4.90")])

    approve_for_split(members["actor"], invoice.id)
    result = split_invoice(members["actor"], invoice.id, AllocationKey.EQUAL)
    assert [c.total_vat for c in result.communes] == [D("2.45"), D("2.45")]
    assert result.total_ttc == D("104.90")


def test_an_extended_invoice_stores_only_the_lines_that_count_and_its_logistics_charge(members):
    content = (FIXTURES / "built" / "cii_extended_sublines_logistics.xml").read_bytes()
    invoice = import_invoice(members["actor"], "extended.xml", content)

    assert [line.line_id for line in invoice.lines] == ["1.1", "1.2", "3"]
    assert [(ac.is_charge, ac.amount, ac.reason) for ac in invoice.allowances_charges] == [
        (True, D("10.00"), "Frais de transport")
    ]
    assert any(
        c.rule == "SOUS-LIGNES" and "ligne 1 (GROUP), ligne 2 (INFORMATION)" in c.message for c in invoice.checks
    )
    approve_for_split(members["actor"], invoice.id)
    result = split_invoice(members["actor"], invoice.id, AllocationKey.POPULATION)
    assert (result.total_ht, result.total_ttc) == (D("210.00"), D("252.00"))


def test_a_line_beyond_the_r120_slack_blocks_the_split_until_accepted(members):
    invoice = import_invoice(members["actor"], "cen.xml", (FIXTURES / "cii_en16931_example1.xml").read_bytes())
    match_invoice(members["actor"], invoice.id)
    [line_check] = [c for c in blocking_checks(invoice) if c.rule == "PEPPOL-EN16931-R120"]
    assert "ligne 20" in line_check.message
    assert any("PEPPOL-EN16931-R120" in reason for reason in split_blockers(invoice))

    resolve_check(
        members["actor"], line_check.id, CheckResolution.ACCEPTED, "Retour d'huile : quantité écrite positive."
    )
    assert not any("PEPPOL-EN16931-R120" in reason for reason in split_blockers(invoice))


def test_a_type_code_outside_en16931_writes_nothing(members):
    with pytest.raises(InvoiceRejected) as refused:
        import_invoice(members["actor"], "type-999.xml", cii("999"))
    assert "type de document (BT-3) « 999 » inconnu de la norme EN 16931" in " ".join(refused.value.reasons)
