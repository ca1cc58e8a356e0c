"""Odd figures and dates inside an invoice file (issue 13, items 3 and 7): every number of the
UBL and CII samples, and every figure column of the spreadsheet template, replaced in turn by a
hostile value, is imported through the use case: a French refusal (InvoiceRejected) or an
accepted invoice, never an overflow, a CHECK failure or another exception."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select

from groupement.core.access import system_actor
from groupement.invoices.importing import InvoiceRejected, import_invoice
from groupement.invoices.models import Invoice
from tests.unit.test_einvoice import HEADER, ROWS, csv_bytes

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "invoices"
HOSTILE = ["1e30", "9" * 30, "1e999999", "-1e999999", "0.0000001", "1e-999999", "NaN", "\uff12", "\u00b2", "\u0663"]
HOSTILE_IN_XML = ["1e30", "9" * 30, "1e999999", "0.0000001", "\uff12", "\u0663"]
HOSTILE_DATES = ["0001-01-01", "9999-12-31"]
FIGURE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def _variants(name: str, values: list[str], chosen) -> list[tuple[str, bytes]]:
    """The sample with one element chosen by `chosen(element)` replaced by one hostile value."""

    def spots(root) -> list:
        return [element for element in root.iter() if isinstance(element.tag, str) and chosen(element)]

    content = (SAMPLES / name).read_bytes()
    variants = []
    for index in range(len(spots(etree.fromstring(content)))):
        for value in values:
            copy = etree.fromstring(content)
            element = spots(copy)[index]
            element.text = value
            label = f"{etree.QName(element).localname}={value!r}"
            variants.append((label, etree.tostring(copy, xml_declaration=True, encoding="utf-8")))
    return variants


def _figure(element) -> bool:
    return bool(FIGURE.fullmatch((element.text or "").strip()))


# The figures the readers read (quantities, prices, amounts, rates, of lines and of the document).
READ_FIGURES = {
    "InvoicedQuantity", "BaseQuantity", "PriceAmount", "LineExtensionAmount", "Amount", "Percent",
    "TaxExclusiveAmount", "TaxInclusiveAmount", "AllowanceTotalAmount", "ChargeTotalAmount",
    "PrepaidAmount", "PayableRoundingAmount", "PayableAmount", "TaxAmount", "TaxableAmount",
    "BilledQuantity", "BasisQuantity", "ChargeAmount", "LineTotalAmount", "ActualAmount",
    "RateApplicablePercent", "TaxBasisTotalAmount", "TaxTotalAmount", "GrandTotalAmount",
    "TotalPrepaidAmount", "DuePayableAmount", "RoundingAmount", "BasisAmount", "CalculatedAmount",
}  # fmt: skip


def _read_figure(element) -> bool:
    name = etree.QName(element).localname
    in_price = any(etree.QName(a).localname == "Price" for a in element.iterancestors())
    if in_price and name not in ("PriceAmount", "BaseQuantity"):
        return False  # a UBL gross price's discount is not read
    return name in READ_FIGURES and _figure(element)


def _invoice_date(element) -> bool:
    """BT-2 and BT-9 (not the dates of referenced documents or periods, which are not read)."""
    name, parent = etree.QName(element).localname, element.getparent()
    parent_name = etree.QName(parent).localname if parent is not None else ""
    if name in ("IssueDate", "DueDate"):
        return parent_name == "Invoice"
    if name == "PaymentDueDate":
        return parent_name == "PaymentMeans"
    return name == "DateTimeString" and parent_name in ("IssueDateTime", "DueDateDateTime")


def _import_each(make, database, variants: list[tuple[str, bytes]], file_name: str) -> tuple[int, list[str]]:
    """How many were refused, and the labels of those accepted; any other exception fails."""
    accountant = system_actor(make.coordinator().id)
    refused, accepted = 0, []
    for label, content in variants:
        try:
            import_invoice(accountant, file_name, content)
        except InvoiceRejected as rejection:
            assert rejection.reasons and all(reason.strip() for reason in rejection.reasons), label
            refused += 1
        else:
            accepted.append(label)
        database.session.rollback()  # each import is its own request
    return refused, accepted


@pytest.mark.parametrize("sample", ["ubl21_en16931_fr.xml", "cii_en16931_example1.xml"])
def test_every_number_of_an_xml_invoice_replaced_by_an_odd_value_is_a_french_refusal(make, database, sample):
    variants = _variants(sample, HOSTILE_IN_XML, _read_figure)

    refused, accepted = _import_each(make, database, variants, sample)

    assert len(variants) >= 100 and (refused, accepted) == (len(variants), [])


@pytest.mark.parametrize("sample", ["ubl21_en16931_fr.xml", "cii_en16931_example1.xml"])
def test_any_number_of_an_xml_invoice_replaced_by_an_odd_value_never_raises_anything_else(make, database, sample):
    """Identifiers, codes and figures not read (a gross price) take any text: accepted or refused."""
    variants = _variants(sample, ["1e999999", "\uff12"], lambda element: _figure(element) and not _read_figure(element))

    refused, accepted = _import_each(make, database, variants, sample)

    assert variants and refused + len(accepted) == len(variants)


@pytest.mark.parametrize("sample", ["ubl21_en16931_fr.xml", "cii_en16931_example1.xml"])
def test_every_date_of_an_xml_invoice_set_to_year_1_or_9999_is_refused(make, database, sample):
    variants = _variants(sample, HOSTILE_DATES, _invoice_date)

    refused, accepted = _import_each(make, database, variants, sample)

    assert variants and (refused, accepted) == (len(variants), [])


def test_every_figure_column_of_the_spreadsheet_set_to_an_odd_value_is_refused(make, database):
    variants = []
    for column in ("quantite", "prix_unitaire_ht", "taux_tva"):
        for value in HOSTILE:
            rows = [list(row) for row in ROWS]
            rows[1][HEADER.index(column)] = value
            variants.append((f"{column}={value!r}", csv_bytes(rows=rows)))

    refused, accepted = _import_each(make, database, variants, "facture.csv")

    assert (refused, accepted) == (len(variants), [])
    assert database.session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_a_net_price_with_six_decimals_is_read_and_stored_rounded_to_four(make, database):
    """EN 16931 puts no limit on the decimals of a net price (BT-146): a valid invoice is not
    refused for 0,123456 €; the column keeps 0,1235."""
    content = (SAMPLES / "ubl21_en16931_fr.xml").read_bytes()
    tree = etree.fromstring(content)
    price = tree.find(".//{*}InvoiceLine/{*}Price/{*}PriceAmount")
    price.text = "0.123456"
    invoice = import_invoice(system_actor(make.coordinator().id), "prix.xml", etree.tostring(tree))
    assert invoice.lines[0].unit_price == Decimal("0.1235")
