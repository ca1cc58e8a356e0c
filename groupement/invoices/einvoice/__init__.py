"""Supplier invoices read into plain data (groupement.invoices.rules.InvoiceData). No database.

`parse_invoice(content, file_name)` recognises the format by the content, not by the name:

- a PDF (``%PDF-`` in the first kilobyte): Factur-X or ZUGFeRD, whose attached XML is found with
  pypdf (facturx.py) and then read as CII;
- XML: CII (root ``CrossIndustryInvoice``, D16B and later, every Factur-X profile from MINIMUM to
  EXTENDED and CTC-FR), ZUGFeRD 1.0 (root ``CrossIndustryDocument``, renamed to CII by zugferd1)
  or UBL 2.1 (root ``Invoice`` or ``CreditNote`` in the OASIS namespaces). Elements are found by
  their local names, so any prefix and any version of the namespaces is read;
- an .xlsx workbook (a zip archive) or a CSV text: the spreadsheet template described below.

Anything else, or anything unreadable, raises InvoiceRefused with French reasons naming the
file (and for a spreadsheet the row and the column).

Form is judged leniently: indicators written true/false/1/0, amounts with or without a
currencyID attribute, decimal commas, optional blocks missing (absent allowance, charge, VAT,
prepaid and rounding totals count as 0; an absent type code means 380, or 381 for a UBL
CreditNote; an absent price base quantity means 1). Arithmetic is not judged here but by
invoices.rules.check_invoice.

Refused outright: a currency other than the euro (BT-5, or a currencyID on an amount); a type
code (BT-3) outside the EN 16931 list (invoices.document_types); a missing number, issue date,
line (but for the header-only profiles MINIMUM and BASIC WL) or mandatory total (BT-106 but in
MINIMUM, BT-109, BT-112, BT-115); a figure its column cannot hold
exactly (core.numbers: 1e30, 1e999999, 0,0000001 at 4 decimals, digits other than 0 to 9), named
with its line and field; an issue date outside 01/01/2000 to a year ahead, a due date beyond ten
years ahead (common.implausible_date).

The readers, one module per format: xml_safety (limits and DOCTYPE refusal before any XML is read),
xml_reader (what CII and UBL share), cii, ubl, facturx (the XML embedded in a PDF), spreadsheet
and spreadsheet_files (the template, from .xlsx or CSV); common holds the limits they share.

source_format: "factur-x", "cii", "zugferd" (1.0), "ubl", "xlsx" or "csv"; profile (InvoiceData) the
Factur-X / ZUGFeRD profile of a CII document.
"""

from __future__ import annotations

from lxml import etree

from groupement.invoices.einvoice.cii import CiiReader
from groupement.invoices.einvoice.common import refused, too_large
from groupement.invoices.einvoice.facturx import embedded_xml
from groupement.invoices.einvoice.spreadsheet import CSV, XLSX, parse_spreadsheet
from groupement.invoices.einvoice.spreadsheet_files import csv_rows, looks_like_csv, xlsx_rows
from groupement.invoices.einvoice.ubl import UblReader
from groupement.invoices.einvoice.xml_reader import local_name
from groupement.invoices.einvoice.xml_safety import looks_like_xml, safe_root
from groupement.invoices.einvoice.zugferd1 import as_cii, is_zugferd1
from groupement.invoices.rules import InvoiceData, InvoiceRefused

__all__ = ["InvoiceRefused", "parse_invoice", "parse_xml"]

MAX_FILE_BYTES = 10 * 1024 * 1024
UBL_NAMESPACE_PREFIX = "urn:oasis:names:specification:ubl:schema:xsd:"
ACCEPTED_FORMATS = "Factur-X (PDF), UBL 2.1 ou CII (XML), modèle tableur (.xlsx ou .csv)"


def parse_invoice(content: bytes, file_name: str) -> InvoiceData:
    """The invoice in `content`, whatever its accepted format; InvoiceRefused otherwise."""
    if not content or not content.strip():
        raise refused(file_name, "le fichier est vide")
    if len(content) > MAX_FILE_BYTES:
        raise refused(file_name, too_large(len(content), MAX_FILE_BYTES))
    if b"%PDF-" in content[:1024]:
        xml_bytes, xml_name = embedded_xml(content, file_name)
        return parse_xml(xml_bytes, xml_name, "factur-x")
    if content.startswith(b"PK"):
        return parse_spreadsheet(xlsx_rows(content, file_name), file_name, XLSX)
    if looks_like_xml(content):
        return parse_xml(content, file_name)
    if looks_like_csv(content, file_name):
        return parse_spreadsheet(csv_rows(content, file_name), file_name, CSV)
    raise refused(file_name, f"format non reconnu ; formats acceptés : {ACCEPTED_FORMATS}")


def parse_xml(content: bytes, file_name: str, source_format: str | None = None) -> InvoiceData:
    """A CII or UBL invoice, read safely (xml_safety)."""
    root = safe_root(content, file_name)
    namespace = etree.QName(root).namespace or ""
    name = local_name(root)
    if name == "CrossIndustryInvoice":
        return CiiReader(root, file_name, source_format or "cii").read()
    if name in ("Invoice", "CreditNote") and namespace.startswith(UBL_NAMESPACE_PREFIX):
        return UblReader(root, file_name, source_format or "ubl").read()
    if is_zugferd1(root):
        return CiiReader(as_cii(root), file_name, "zugferd").read()
    raise refused(file_name, f"XML non reconnu (élément racine « {name} ») : une facture CII ou UBL 2.1 est attendue")
