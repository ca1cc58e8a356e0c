"""Supplier invoices read into plain data (groupement.invoices.rules.InvoiceData). No database.

`parse_invoice(content, file_name)` recognises the format by the content, not by the name:

- a PDF (``%PDF-`` in the first kilobyte): Factur-X, whose embedded CII XML is extracted with the
  factur-x library (``get_xml_from_pdf``, without its XSD check: the form is ours to judge,
  leniently) and then read as CII;
- XML: CII (root ``CrossIndustryInvoice``, D16B and later) or UBL 2.1 (root ``Invoice`` or
  ``CreditNote`` in the OASIS namespaces). Elements are found by their local names, so any
  prefix and any version of the namespaces is read;
- an .xlsx workbook (a zip archive) or a CSV text: the spreadsheet template described below.

Anything else, or anything unreadable, raises InvoiceRefused with French reasons naming the
file (and for a spreadsheet the row and the column).

Form is judged leniently: indicators written true/false/1/0, amounts with or without a
currencyID attribute, decimal commas, optional blocks missing (absent allowance, charge, VAT,
prepaid and rounding totals count as 0; an absent type code means 380, or 381 for a UBL
CreditNote; an absent price base quantity means 1). Arithmetic is not judged here but by
invoices.rules.check_invoice.

Refused outright: a currency other than the euro (BT-5, or a currencyID on an amount); a type
other than 380 (facture), 381 (avoir) and 384 (facture rectificative); a missing number, issue
date, line or mandatory total (BT-106, BT-109, BT-112, BT-115).

Safety of XML. Parsed by lxml with ``resolve_entities=False, no_network=True, load_dtd=False,
huge_tree=False``, and ANY document type declaration is refused, before parsing (a byte scan,
also of UTF-16 text) and after (the parsed document's docinfo): invoices never need a DTD, and
XXE or "billion laughs" need one. Size limits: MAX_XML_BYTES for the XML (also the one embedded
in a PDF), MAX_FILE_BYTES for any file, MAX_XML_ELEMENTS elements, MAX_LINES lines. lxml was
chosen over defusedxml because it is already a declared dependency and the parser options above
cover what defusedxml guards against; the DOCTYPE refusal is stricter than defusedxml's default.

Identifiers: the SIRET of a party is the identifier with scheme 0009 (BT-29/BT-30 in CII
GlobalID or SpecifiedLegalOrganization/ID, in UBL PartyIdentification/ID or
PartyLegalEntity/CompanyID), spaces removed, kept only when it has 14 digits. The VAT number is
the CII SpecifiedTaxRegistration with scheme VA, the UBL PartyTaxScheme of tax scheme VAT. A
line's item reference is the seller's (BT-155), else the buyer's (BT-156), else the standard one
(BT-157); its order reference is the line's own order document when given, else the document's
BT-13; the commune is not said by CII or UBL (commune_insee is None).

The spreadsheet template (.xlsx first sheet, or CSV UTF-8 or Windows-1252, ';' or ','). One row
per invoice line; the invoice's own fields are repeated on every row and must be the same on
all rows (one invoice per file). The header row is found in the first 20 rows; titles are read
without accents, case or spaces ("Numéro facture" = numero_facture); unknown columns are ignored.

- required columns: numero_facture, date_facture (28/11/2026 or 2026-11-28, or a date cell),
  fournisseur_siret, numero_commande, code_insee, ref_article, designation, quantite,
  prix_unitaire_ht, taux_tva (20, 20 %, 5,5; a percentage cell 0,2 or 0,055 is read as 20 or
  5,5). Values: all required but ref_article and designation, of which one at least.
- optional columns: type_facture (380/381/384 or facture/avoir/facture rectificative, default
  380), date_echeance, fournisseur_nom, fournisseur_tva, acheteur_nom, acheteur_siret,
  categorie_tva (default S, or E at 0 %), montant_ht (the line's net as the supplier computed it:
  when given it is kept and checked against quantity × price by check_invoice; when empty the
  net is quantity × price rounded to the cent).
- a spreadsheet declares no totals: they are computed (BT-106 = Σ nets; per category and rate,
  base = Σ nets and VAT = base × rate rounded once; BT-109 = BT-106; BT-112 = BT-109 + VAT;
  nothing prepaid), so check_invoice can only find wrong line nets in it. There are no document
  allowances or charges; the currency is the euro. line_id is the spreadsheet row number.

source_format: "factur-x", "cii", "ubl", "xlsx" or "csv".
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from groupement.core.files.upload_guard import CORRUPT_XLSX, MAX_UNCOMPRESSED_BYTES, megabytes, zip_kind
from groupement.core.files.xlsx import cell_text
from groupement.core.formatting import number
from groupement.core.identifiers import InvalidIdentifier, clean_insee, clean_siret
from groupement.core.imports import ImportIssue
from groupement.core.money import parse_decimal
from groupement.invoices.rules import (
    CENT,
    NO_VAT_CATEGORIES,
    ONE,
    TYPE_LABELS,
    ZERO,
    AllowanceCharge,
    InvoiceData,
    InvoiceLineData,
    InvoiceRefused,
    VatBreakdown,
    vat_amount,
)

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_XML_BYTES = 5 * 1024 * 1024
MAX_XML_ELEMENTS = 250_000
MAX_LINES = 5_000
HEADER_SEARCH_ROWS = 20
EURO = "EUR"
SIRET_SCHEME = "0009"
MAX_NUMBER_LENGTH = 60
MAX_DESCRIPTION_LENGTH = 500
MAX_REASON_LENGTH = 200

UBL_NAMESPACE_PREFIX = "urn:oasis:names:specification:ubl:schema:xsd:"
ACCEPTED_FORMATS = "Factur-X (PDF), UBL 2.1 ou CII (XML), modèle tableur (.xlsx ou .csv)"

XLSX = "xlsx"
CSV = "csv"
REQUIRED_COLUMNS = (
    "numero_facture",
    "date_facture",
    "fournisseur_siret",
    "numero_commande",
    "code_insee",
    "ref_article",
    "designation",
    "quantite",
    "prix_unitaire_ht",
    "taux_tva",
)
OPTIONAL_COLUMNS = (
    "type_facture",
    "date_echeance",
    "fournisseur_nom",
    "fournisseur_tva",
    "acheteur_nom",
    "acheteur_siret",
    "categorie_tva",
    "montant_ht",
)
DOCUMENT_COLUMNS = (
    "numero_facture",
    "date_facture",
    "fournisseur_siret",
    "type_facture",
    "date_echeance",
    "fournisseur_nom",
    "fournisseur_tva",
    "acheteur_nom",
    "acheteur_siret",
)
FRENCH_RATES = (Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1"), ZERO)
TYPE_WORDS = {"facture": "380", "avoir": "381", "facture rectificative": "384", "rectificative": "384"}
QUANTITY_STEP = Decimal("0.0001")

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def parse_invoice(content: bytes, file_name: str) -> InvoiceData:
    """The invoice in `content`, whatever its accepted format; InvoiceRefused otherwise."""
    if not content or not content.strip():
        raise _refused(file_name, "le fichier est vide")
    if len(content) > MAX_FILE_BYTES:
        raise _refused(file_name, _too_large(len(content), MAX_FILE_BYTES))
    if b"%PDF-" in content[:1024]:
        return _parse_pdf(content, file_name)
    if content.startswith(b"PK"):
        return _parse_spreadsheet(_xlsx_rows(content, file_name), file_name, XLSX)
    if _looks_like_xml(content):
        return parse_xml(content, file_name)
    if _looks_like_csv(content, file_name):
        return _parse_spreadsheet(_csv_rows(content, file_name), file_name, CSV)
    raise _refused(file_name, f"format non reconnu ; formats acceptés : {ACCEPTED_FORMATS}")


def parse_xml(content: bytes, file_name: str, source_format: str | None = None) -> InvoiceData:
    """A CII or UBL invoice, read safely (see the module docstring)."""
    root = _safe_root(content, file_name)
    namespace = etree.QName(root).namespace or ""
    name = _local(root)
    if name == "CrossIndustryInvoice":
        return _CiiReader(root, file_name, source_format or "cii").read()
    if name in ("Invoice", "CreditNote") and namespace.startswith(UBL_NAMESPACE_PREFIX):
        return _UblReader(root, file_name, source_format or "ubl").read()
    if name == "CrossIndustryDocument":
        raise _refused(file_name, "XML ZUGFeRD 1.0 non pris en charge : demandez une facture Factur-X, CII ou UBL")
    raise _refused(file_name, f"XML non reconnu (élément racine « {name} ») : une facture CII ou UBL 2.1 est attendue")


# --- errors -----------------------------------------------------------------------------------


def _refused(file_name: str, reason: str, row: int | None = None, column: str | None = None) -> InvoiceRefused:
    return InvoiceRefused([ImportIssue(file_name, row, column, reason)])


def _too_large(size: int, limit: int) -> str:
    return f"fichier trop volumineux ({megabytes(size)} ; {megabytes(limit)} au plus)"


# --- PDF (Factur-X) ---------------------------------------------------------------------------


def _parse_pdf(content: bytes, file_name: str) -> InvoiceData:
    from facturx import get_xml_from_pdf  # imported here: pypdf is slow to import

    try:
        xml_name, xml_bytes = get_xml_from_pdf(content, check_xsd=False)
    except Exception:  # pypdf raises many kinds on a damaged file
        raise _refused(file_name, "PDF endommagé ou illisible") from None
    if not xml_bytes:
        raise _refused(
            file_name,
            "ce PDF ne contient pas de facture électronique (aucun XML Factur-X embarqué) : demandez au "
            "fournisseur sa facture au format Factur-X, UBL ou CII, ou déposez-la via Chorus Pro",
        )
    return parse_xml(xml_bytes, f"{file_name} (XML embarqué « {xml_name} »)", "factur-x")


# --- XML --------------------------------------------------------------------------------------


def _looks_like_xml(content: bytes) -> bool:
    head = content[:200]
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[2:].decode(encoding, errors="ignore").lstrip().startswith("<")
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


def _safe_root(content: bytes, file_name: str) -> etree._Element:
    if len(content) > MAX_XML_BYTES:
        raise _refused(file_name, _too_large(len(content), MAX_XML_BYTES))
    if _DOCTYPE.search(content) or _DOCTYPE.search(content.replace(b"\x00", b"")):
        raise _refused(file_name, _DTD_REFUSED)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as error:
        where = f" (ligne {error.lineno})" if error.lineno else ""
        raise _refused(file_name, f"XML mal formé{where} : {error.msg}") from None
    except (ValueError, etree.LxmlError):
        raise _refused(file_name, "XML illisible") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _refused(file_name, _DTD_REFUSED)
    for count, _ in enumerate(root.iter(), 1):
        if count > MAX_XML_ELEMENTS:
            raise _refused(file_name, f"XML trop volumineux (plus de {number(MAX_XML_ELEMENTS)} éléments)")
    return root


_DTD_REFUSED = (
    "XML refusé : il contient une déclaration de type de document (DOCTYPE ou ENTITY), jamais "
    "nécessaire dans une facture et interdite pour des raisons de sécurité"
)


def _local(element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _kids(element, name: str) -> Iterator:
    if element is None:
        return
    for child in element:
        if isinstance(child.tag, str) and _local(child) == name:
            yield child


def _all(element, path: str) -> list:
    """Every element at `path` (local names separated by /) below `element`."""
    found = [element] if element is not None else []
    for name in path.split("/"):
        found = [child for parent in found for child in _kids(parent, name)]
    return found


def _one(element, path: str):
    found = _all(element, path)
    return found[0] if found else None


def _str(element, path: str | None = None) -> str | None:
    """The stripped text at `path`, None when absent or empty."""
    target = _one(element, path) if path else element
    if target is None or target.text is None:
        return None
    return " ".join(target.text.split()) or None


class _Reader:
    """What CII and UBL readers share: collecting problems, reading figures leniently."""

    def __init__(self, root, file_name: str, source_format: str):
        self.root = root
        self.file_name = file_name
        self.source_format = source_format
        self.problems: list[str] = []

    def problem(self, reason: str) -> None:
        self.problems.append(reason)

    def refuse_if_problems(self) -> None:
        if self.problems:
            raise InvoiceRefused([ImportIssue(self.file_name, None, None, reason) for reason in self.problems])

    def check_currency(self, code: str | None) -> str:
        if code is None:
            raise _refused(
                self.file_name, "devise de la facture (BT-5) absente : seules les factures en euros sont acceptées"
            )
        if code.upper() != EURO:
            raise _refused(
                self.file_name,
                f"facture en devise « {code} » : seules les factures en euros (EUR) sont acceptées ; "
                "demandez au fournisseur une facture en euros",
            )
        return EURO

    def amount(self, element, label: str, required: bool = False) -> Decimal:
        if element is None or not (element.text or "").strip():
            if required:
                self.problem(f"{label} absent")
            return ZERO
        currency = element.get("currencyID")
        if currency is not None and currency.strip().upper() != EURO:
            self.problem(f"{label} exprimé en « {currency} » : seules les factures en euros (EUR) sont acceptées")
        return self.number(element.text, label)

    def number(self, text: str | None, label: str, default: Decimal | None = None) -> Decimal:
        if text is None or not text.strip():
            if default is None:
                self.problem(f"{label} absent")
                return ZERO
            return default
        try:
            return parse_decimal(text)
        except ValueError as error:
            self.problem(f"{label} : {error}")
            return ZERO

    def rate(self, text: str | None, category: str | None, label: str) -> Decimal:
        if text is None and (category in NO_VAT_CATEGORIES or category is None):
            return ZERO
        value = self.number(text, f"taux de TVA{label}")
        if not ZERO <= value <= 100:
            self.problem(f"taux de TVA{label} hors de 0 à 100 : {text}")
        return value

    def category(self, text: str | None, label: str) -> str:
        if text is None:
            self.problem(f"catégorie de TVA{label} absente")
            return ""
        if not re.fullmatch(r"[A-Za-z]{1,2}", text):
            self.problem(f"catégorie de TVA{label} inconnue « {text[:20]} »")
            return ""
        return text.upper()

    def indicator(self, text: str | None, label: str) -> bool:
        value = (text or "").strip().lower()
        if value in ("true", "1"):
            return True
        if value in ("false", "0"):
            return False
        self.problem(f"indicateur remise/frais{label} illisible « {text or ''} » (true, false, 1 ou 0 attendu)")
        return False

    def date(self, text: str | None, label: str, required: bool = False, fmt: str | None = None) -> date | None:
        if text is None:
            if required:
                self.problem(f"{label} absente")
            return None
        value = text.strip()
        try:
            if fmt in (None, "102") and re.fullmatch(r"\d{8}", value):
                return datetime.strptime(value, "%Y%m%d").date()
            if re.match(r"\d{4}-\d{2}-\d{2}", value):
                return date.fromisoformat(value[:10])
        except ValueError:
            pass
        self.problem(f"{label} illisible « {value} »")
        return None

    def document_fields(self, number: str | None, type_code: str | None) -> tuple[str, str]:
        if number is None:
            self.problem("numéro de facture (BT-1) absent")
        elif len(number) > MAX_NUMBER_LENGTH:
            self.problem(f"numéro de facture (BT-1) trop long ({len(number)} caractères ; {MAX_NUMBER_LENGTH} au plus)")
        if type_code not in TYPE_LABELS:
            accepted = ", ".join(f"{code} ({label})" for code, label in TYPE_LABELS.items())
            self.problem(f"type de document « {type_code} » non pris en charge : seuls {accepted} sont acceptés")
        return number or "", type_code or ""

    def check_lines(self, count: int) -> None:
        if count == 0:
            self.problem("aucune ligne de facture")
        elif count > MAX_LINES:
            raise _refused(self.file_name, f"trop de lignes ({count} ; {MAX_LINES} au plus)")

    def check_seller(self, name: str | None, siret: str | None) -> None:
        if not name and not siret:
            self.problem("vendeur sans nom ni SIRET (BT-27)")


def _siret_in(candidates: Iterable) -> str | None:
    for element in candidates:
        if (element.get("schemeID") or "").strip() == SIRET_SCHEME:
            value = re.sub(r"\s", "", element.text or "")
            if re.fullmatch(r"\d{14}", value):
                return value
    return None


def _vat_number(text: str | None) -> str | None:
    if not text:
        return None
    return re.sub(r"[\s.\-]", "", text).upper() or None


def _clip(text: str | None, limit: int) -> str:
    return (text or "")[:limit]


class _CiiReader(_Reader):
    def read(self) -> InvoiceData:
        document = _one(self.root, "ExchangedDocument")
        transaction = _one(self.root, "SupplyChainTradeTransaction")
        agreement = _one(transaction, "ApplicableHeaderTradeAgreement")
        settlement = _one(transaction, "ApplicableHeaderTradeSettlement")
        currency = self.check_currency(_str(settlement, "InvoiceCurrencyCode"))

        number, type_code = self.document_fields(_str(document, "ID"), _str(document, "TypeCode") or "380")
        issue = _one(document, "IssueDateTime/DateTimeString")
        issue_date = self.date(
            _str(issue), "date de facture (BT-2)", True, issue.get("format") if issue is not None else None
        )
        due = next(iter(_all(settlement, "SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString")), None)
        due_date = self.date(_str(due), "date d'échéance (BT-9)", fmt=due.get("format") if due is not None else None)

        seller = _one(agreement, "SellerTradeParty")
        buyer = _one(agreement, "BuyerTradeParty")
        seller_siret = self.party_siret(seller)
        self.check_seller(_str(seller, "Name"), seller_siret)
        order_reference = _str(agreement, "BuyerOrderReferencedDocument/IssuerAssignedID")

        items = _all(transaction, "IncludedSupplyChainTradeLineItem")
        self.check_lines(len(items))
        lines = tuple(self.line(item, position, order_reference) for position, item in enumerate(items, 1))
        allowances_charges = tuple(
            self.allowance_charge(ac) for ac in _all(settlement, "SpecifiedTradeAllowanceCharge")
        )
        breakdown = tuple(self.breakdown(tax) for tax in _all(settlement, "ApplicableTradeTax"))

        totals = _one(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
        if totals is None:
            self.problem("totaux de la facture (SpecifiedTradeSettlementHeaderMonetarySummation) absents")
        tax_totals = _all(totals, "TaxTotalAmount")
        tax_total = next((t for t in tax_totals if (t.get("currencyID") or EURO).upper() == EURO), None)
        if tax_total is None and tax_totals:
            tax_total = tax_totals[0]  # the only one, in another currency: amount() says so

        data = InvoiceData(
            number=number,
            type_code=type_code,
            issue_date=issue_date or date.min,
            due_date=due_date,
            currency=currency,
            seller_name=_str(seller, "Name") or "",
            seller_siret=seller_siret,
            seller_vat=self.party_vat(seller),
            buyer_name=_str(buyer, "Name") or "",
            buyer_siret=self.party_siret(buyer),
            order_reference=order_reference,
            lines=lines,
            allowances_charges=allowances_charges,
            line_total=self.amount(_one(totals, "LineTotalAmount"), "total des lignes (BT-106)", True),
            allowance_total=self.amount(_one(totals, "AllowanceTotalAmount"), "total des remises (BT-107)"),
            charge_total=self.amount(_one(totals, "ChargeTotalAmount"), "total des frais (BT-108)"),
            tax_exclusive=self.amount(_one(totals, "TaxBasisTotalAmount"), "total HT (BT-109)", True),
            tax_total=self.amount(tax_total, "total de TVA (BT-110)"),
            tax_inclusive=self.amount(_one(totals, "GrandTotalAmount"), "total TTC (BT-112)", True),
            prepaid=self.amount(_one(totals, "TotalPrepaidAmount"), "acomptes versés (BT-113)"),
            payable=self.amount(_one(totals, "DuePayableAmount"), "montant à payer (BT-115)", True),
            vat_breakdown=breakdown,
            source_format=self.source_format,
            rounding=self.amount(_one(totals, "RoundingAmount"), "arrondi (BT-114)"),
        )
        self.refuse_if_problems()
        return data

    def party_siret(self, party) -> str | None:
        return _siret_in(_all(party, "GlobalID") + _all(party, "SpecifiedLegalOrganization/ID") + _all(party, "ID"))

    def party_vat(self, party) -> str | None:
        for registration in _all(party, "SpecifiedTaxRegistration/ID"):
            if (registration.get("schemeID") or "").upper() == "VA":
                return _vat_number(registration.text)
        return None

    def line(self, item, position: int, order_reference: str | None) -> InvoiceLineData:
        line_id = _str(item, "AssociatedDocumentLineDocument/LineID") or str(position)
        label = f" de la ligne {line_id}"
        product = _one(item, "SpecifiedTradeProduct")
        agreement = _one(item, "SpecifiedLineTradeAgreement")
        settlement = _one(item, "SpecifiedLineTradeSettlement")
        net_price = _one(agreement, "NetPriceProductTradePrice")
        tax = _one(settlement, "ApplicableTradeTax")
        category = self.category(_str(tax, "CategoryCode"), label)
        allowances = charges = ZERO
        for ac in _all(settlement, "SpecifiedTradeAllowanceCharge"):
            indicator = _str(ac, "ChargeIndicator/Indicator") or _str(ac, "ChargeIndicator")
            value = self.amount(_one(ac, "ActualAmount"), f"montant de remise ou frais{label}", True)
            if self.indicator(indicator, label):
                charges += value
            else:
                allowances += value
        base_quantity = self.number(_str(net_price, "BasisQuantity"), f"quantité de base du prix{label}", ONE)
        if base_quantity == 0:
            self.problem(f"quantité de base du prix{label} nulle")
            base_quantity = ONE
        return InvoiceLineData(
            line_id=line_id,
            item_ref=_str(product, "SellerAssignedID") or _str(product, "BuyerAssignedID") or _str(product, "GlobalID"),
            description=_clip(_str(product, "Name") or _str(product, "Description"), MAX_DESCRIPTION_LENGTH),
            quantity=self.number(_str(item, "SpecifiedLineTradeDelivery/BilledQuantity"), f"quantité{label} (BT-129)"),
            unit_price=self.amount(_one(net_price, "ChargeAmount"), f"prix net{label} (BT-146)", True),
            net_amount=self.amount(
                _one(settlement, "SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount"),
                f"montant net{label} (BT-131)",
                True,
            ),
            vat_category=category,
            vat_rate=self.rate(_str(tax, "RateApplicablePercent"), category, label),
            order_ref=_str(agreement, "BuyerOrderReferencedDocument/IssuerAssignedID") or order_reference,
            commune_insee=None,
            price_base_quantity=base_quantity,
            line_allowances=allowances,
            line_charges=charges,
        )

    def allowance_charge(self, ac) -> AllowanceCharge:
        is_charge = self.indicator(_str(ac, "ChargeIndicator/Indicator") or _str(ac, "ChargeIndicator"), "")
        label = " des frais" if is_charge else " de la remise"
        category = self.category(_str(ac, "CategoryTradeTax/CategoryCode"), f"{label} de document")
        return AllowanceCharge(
            is_charge=is_charge,
            amount=self.amount(_one(ac, "ActualAmount"), f"montant{label} de document", True),
            vat_category=category,
            vat_rate=self.rate(_str(ac, "CategoryTradeTax/RateApplicablePercent"), category, f"{label} de document"),
            reason=_clip(_str(ac, "Reason") or _str(ac, "ReasonCode"), MAX_REASON_LENGTH),
        )

    def breakdown(self, tax) -> VatBreakdown:
        category = self.category(_str(tax, "CategoryCode"), " de la ventilation")
        rate = self.rate(_str(tax, "RateApplicablePercent"), category, " de la ventilation")
        label = f" de la ventilation de TVA ({category} {_str(tax, 'RateApplicablePercent') or '0'} %)"
        return VatBreakdown(
            category=category,
            rate=rate,
            taxable_amount=self.amount(_one(tax, "BasisAmount"), f"base{label} (BT-116)", True),
            tax_amount=self.amount(_one(tax, "CalculatedAmount"), f"TVA{label} (BT-117)"),
        )


class _UblReader(_Reader):
    def read(self) -> InvoiceData:
        root = self.root
        credit_note = _local(root) == "CreditNote"
        kind = "CreditNote" if credit_note else "Invoice"
        currency = self.check_currency(_str(root, "DocumentCurrencyCode"))
        number, type_code = self.document_fields(
            _str(root, "ID"), _str(root, f"{kind}TypeCode") or ("381" if credit_note else "380")
        )
        issue_date = self.date(_str(root, "IssueDate"), "date de facture (BT-2)", True)
        due_text = _str(root, "DueDate") or next(
            (_str(d) for d in _all(root, "PaymentMeans/PaymentDueDate") if _str(d)), None
        )
        due_date = self.date(due_text, "date d'échéance (BT-9)")

        seller = _one(root, "AccountingSupplierParty/Party")
        buyer = _one(root, "AccountingCustomerParty/Party")
        seller_name = _str(seller, "PartyLegalEntity/RegistrationName") or _str(seller, "PartyName/Name")
        seller_siret = self.party_siret(seller)
        self.check_seller(seller_name, seller_siret)
        order_reference = _str(root, "OrderReference/ID")

        items = _all(root, f"{kind}Line")
        self.check_lines(len(items))
        quantity_name = "CreditedQuantity" if credit_note else "InvoicedQuantity"
        lines = tuple(
            self.line(item, position, order_reference, quantity_name) for position, item in enumerate(items, 1)
        )
        allowances_charges = tuple(self.allowance_charge(ac) for ac in _all(root, "AllowanceCharge"))

        tax_totals = _all(root, "TaxTotal")
        in_euros = [t for t in tax_totals if (_amount_currency(_one(t, "TaxAmount")) or EURO) == EURO]
        tax_total = next((t for t in in_euros if _one(t, "TaxSubtotal") is not None), None)
        if tax_total is None:
            tax_total = (in_euros or tax_totals or [None])[0]
        breakdown = tuple(self.breakdown(subtotal) for subtotal in _all(tax_total, "TaxSubtotal"))

        totals = _one(root, "LegalMonetaryTotal")
        if totals is None:
            self.problem("totaux de la facture (LegalMonetaryTotal) absents")
        data = InvoiceData(
            number=number,
            type_code=type_code,
            issue_date=issue_date or date.min,
            due_date=due_date,
            currency=currency,
            seller_name=seller_name or "",
            seller_siret=seller_siret,
            seller_vat=self.party_vat(seller),
            buyer_name=_str(buyer, "PartyLegalEntity/RegistrationName") or _str(buyer, "PartyName/Name") or "",
            buyer_siret=self.party_siret(buyer),
            order_reference=order_reference,
            lines=lines,
            allowances_charges=allowances_charges,
            line_total=self.amount(_one(totals, "LineExtensionAmount"), "total des lignes (BT-106)", True),
            allowance_total=self.amount(_one(totals, "AllowanceTotalAmount"), "total des remises (BT-107)"),
            charge_total=self.amount(_one(totals, "ChargeTotalAmount"), "total des frais (BT-108)"),
            tax_exclusive=self.amount(_one(totals, "TaxExclusiveAmount"), "total HT (BT-109)", True),
            tax_total=self.amount(_one(tax_total, "TaxAmount"), "total de TVA (BT-110)"),
            tax_inclusive=self.amount(_one(totals, "TaxInclusiveAmount"), "total TTC (BT-112)", True),
            prepaid=self.amount(_one(totals, "PrepaidAmount"), "acomptes versés (BT-113)"),
            payable=self.amount(_one(totals, "PayableAmount"), "montant à payer (BT-115)", True),
            vat_breakdown=breakdown,
            source_format=self.source_format,
            rounding=self.amount(_one(totals, "PayableRoundingAmount"), "arrondi (BT-114)"),
        )
        self.refuse_if_problems()
        return data

    def party_siret(self, party) -> str | None:
        return _siret_in(_all(party, "PartyIdentification/ID") + _all(party, "PartyLegalEntity/CompanyID"))

    def party_vat(self, party) -> str | None:
        for scheme in _all(party, "PartyTaxScheme"):
            if (_str(scheme, "TaxScheme/ID") or "").upper() == "VAT":
                return _vat_number(_str(scheme, "CompanyID"))
        return None

    def line(self, item, position: int, order_reference: str | None, quantity_name: str) -> InvoiceLineData:
        line_id = _str(item, "ID") or str(position)
        label = f" de la ligne {line_id}"
        product = _one(item, "Item")
        price = _one(item, "Price")
        tax = _one(product, "ClassifiedTaxCategory")
        category = self.category(_str(tax, "ID"), label)
        allowances = charges = ZERO
        for ac in _all(item, "AllowanceCharge"):
            value = self.amount(_one(ac, "Amount"), f"montant de remise ou frais{label}", True)
            if self.indicator(_str(ac, "ChargeIndicator"), label):
                charges += value
            else:
                allowances += value
        base_quantity = self.number(_str(price, "BaseQuantity"), f"quantité de base du prix{label}", ONE)
        if base_quantity == 0:
            self.problem(f"quantité de base du prix{label} nulle")
            base_quantity = ONE
        return InvoiceLineData(
            line_id=line_id,
            item_ref=(
                _str(product, "SellersItemIdentification/ID")
                or _str(product, "BuyersItemIdentification/ID")
                or _str(product, "StandardItemIdentification/ID")
            ),
            description=_clip(_str(product, "Name") or _str(product, "Description"), MAX_DESCRIPTION_LENGTH),
            quantity=self.number(_str(item, quantity_name), f"quantité{label} (BT-129)"),
            unit_price=self.amount(_one(price, "PriceAmount"), f"prix net{label} (BT-146)", True),
            net_amount=self.amount(_one(item, "LineExtensionAmount"), f"montant net{label} (BT-131)", True),
            vat_category=category,
            vat_rate=self.rate(_str(tax, "Percent"), category, label),
            order_ref=_str(item, "OrderLineReference/OrderReference/ID") or order_reference,
            commune_insee=None,
            price_base_quantity=base_quantity,
            line_allowances=allowances,
            line_charges=charges,
        )

    def allowance_charge(self, ac) -> AllowanceCharge:
        is_charge = self.indicator(_str(ac, "ChargeIndicator"), "")
        label = " des frais" if is_charge else " de la remise"
        category = self.category(_str(ac, "TaxCategory/ID"), f"{label} de document")
        return AllowanceCharge(
            is_charge=is_charge,
            amount=self.amount(_one(ac, "Amount"), f"montant{label} de document", True),
            vat_category=category,
            vat_rate=self.rate(_str(ac, "TaxCategory/Percent"), category, f"{label} de document"),
            reason=_clip(_str(ac, "AllowanceChargeReason") or _str(ac, "AllowanceChargeReasonCode"), MAX_REASON_LENGTH),
        )

    def breakdown(self, subtotal) -> VatBreakdown:
        category = self.category(_str(subtotal, "TaxCategory/ID"), " de la ventilation")
        rate = self.rate(_str(subtotal, "TaxCategory/Percent"), category, " de la ventilation")
        label = f" de la ventilation de TVA ({category} {_str(subtotal, 'TaxCategory/Percent') or '0'} %)"
        return VatBreakdown(
            category=category,
            rate=rate,
            taxable_amount=self.amount(_one(subtotal, "TaxableAmount"), f"base{label} (BT-116)", True),
            tax_amount=self.amount(_one(subtotal, "TaxAmount"), f"TVA{label} (BT-117)"),
        )


def _amount_currency(element) -> str | None:
    if element is None:
        return None
    currency = element.get("currencyID")
    return currency.strip().upper() if currency else None


# --- the spreadsheet template -----------------------------------------------------------------

_Rows = tuple[int, list[tuple[int, list]]]  # (header row number, [(row number, cell values)])


def _looks_like_csv(content: bytes, file_name: str) -> bool:
    if b"\x00" in content[:4096]:
        return False
    if file_name.lower().endswith((".csv", ".txt")):
        return True
    first_line = content[:4096].split(b"\n", 1)[0]
    return b"numero_facture" in _column_key(first_line.decode("utf-8", errors="ignore")).encode()


def _xlsx_rows(content: bytes, file_name: str) -> list[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = set(archive.namelist())
        inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
        raise _refused(file_name, CORRUPT_XLSX) from None
    if inflated > MAX_UNCOMPRESSED_BYTES:
        raise _refused(file_name, "contenu décompressé trop volumineux : ce fichier n'est pas un modèle de facture")
    if "xl/workbook.xml" not in names:
        raise _refused(file_name, zip_kind(archive, names))
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise _refused(file_name, CORRUPT_XLSX) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
            if number > MAX_LINES + HEADER_SEARCH_ROWS:
                raise _refused(file_name, f"trop de lignes ({MAX_LINES} au plus)")
            rows.append((number, list(values)))
        return rows
    except InvoiceRefused:
        raise
    except Exception:
        raise _refused(file_name, CORRUPT_XLSX) from None
    finally:
        workbook.close()


def _csv_rows(content: bytes, file_name: str) -> list[tuple[int, list]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for values in reader:
            if reader.line_num > MAX_LINES + HEADER_SEARCH_ROWS:
                raise _refused(file_name, f"trop de lignes ({MAX_LINES} au plus)")
            rows.append((reader.line_num, list(values)))
    except csv.Error as error:
        raise _refused(file_name, f"CSV illisible : {error}", reader.line_num) from None
    return rows


def _column_key(title) -> str:
    text = unicodedata.normalize("NFKD", str(title or ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().strip()
    return re.sub(r"[\s\-'’.]+", "_", text).strip("_")


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _SpreadsheetRow:
    """One row's cells by column key, collecting every problem instead of stopping at the first."""

    def __init__(self, file_name: str, row: int, values: dict[str, object], issues: list[ImportIssue]):
        self.file_name = file_name
        self.row = row
        self.values = values
        self.issues = issues

    def fail(self, column: str, reason: str) -> None:
        self.issues.append(ImportIssue(self.file_name, self.row, column, reason))

    def text(self, column: str, required: bool = False, digits: int | None = None) -> str | None:
        value = self.values.get(column)
        if blank(value):
            if required:
                self.fail(column, "valeur obligatoire absente")
            return None
        if digits and isinstance(value, int | float) and not isinstance(value, bool):
            return cell_text(value).zfill(digits)  # a number cell lost the leading zeros
        return cell_text(value)

    def parsed(self, column: str, parse: Callable, required: bool = True):
        raw = self.values.get(column)
        if blank(raw):
            if required:
                self.fail(column, "valeur obligatoire absente")
            return None
        try:
            return parse(raw)
        except ValueError as error:
            self.fail(column, str(error))
            return None


def _sheet_date(raw) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = cell_text(raw)
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"date illisible « {text} » (format attendu : 28/11/2026)")


def _sheet_quantity(raw) -> Decimal:
    value = parse_decimal(raw)
    if value <= 0:
        raise ValueError(f"la quantité doit être positive (« {cell_text(raw)} »)")
    if value != value.quantize(QUANTITY_STEP, rounding=ROUND_HALF_UP):
        raise ValueError(f"4 décimales au plus (« {cell_text(raw)} »)")
    return value


def _sheet_price(raw) -> Decimal:
    value = parse_decimal(raw)
    if value < 0:
        raise ValueError(f"le prix ne peut pas être négatif (« {cell_text(raw)} »)")
    if value != value.quantize(QUANTITY_STEP, rounding=ROUND_HALF_UP):
        raise ValueError(f"4 décimales au plus (« {cell_text(raw)} »)")
    return value


def _sheet_amount(raw) -> Decimal:
    value = parse_decimal(raw)
    if value != value.quantize(CENT, rounding=ROUND_HALF_UP):
        raise ValueError(f"2 décimales au plus (« {cell_text(raw)} »)")
    return value


def _sheet_rate(raw) -> Decimal:
    text = cell_text(raw).replace("%", "").strip() if isinstance(raw, str) else raw
    value = parse_decimal(text)
    if ZERO < value < ONE and (value * 100).normalize() in FRENCH_RATES:
        value = value * 100  # a percentage cell: 0,2 shown as 20 %
    if not ZERO <= value <= 100:
        raise ValueError(f"taux de TVA hors de 0 à 100 (« {cell_text(raw)} »)")
    if value != value.quantize(CENT):
        raise ValueError(f"taux de TVA à 2 décimales au plus (« {cell_text(raw)} »)")
    return value.quantize(CENT)


def _sheet_type(raw) -> str:
    text = " ".join(cell_text(raw).split()).casefold()
    code = TYPE_WORDS.get(text, text)
    if code not in TYPE_LABELS:
        raise ValueError(
            f"type « {cell_text(raw)} » inconnu : 380 (facture), 381 (avoir) ou 384 (facture rectificative)"
        )
    return code


def _identifier(clean: Callable[[str], str]) -> Callable:
    def parse(raw) -> str:
        try:
            return clean(raw)
        except InvalidIdentifier as error:
            raise ValueError(str(error).rstrip(".")) from None

    return parse


def _parse_spreadsheet(rows: list[tuple[int, list]], file_name: str, source_format: str) -> InvoiceData:
    header_index = next(
        (
            index
            for index, (_, values) in enumerate(rows[:HEADER_SEARCH_ROWS])
            if "numero_facture" in [_column_key(v) for v in values]
        ),
        None,
    )
    if header_index is None:
        raise _refused(
            file_name,
            "en-tête du modèle de facture introuvable : la première ligne doit porter les colonnes "
            + ", ".join(REQUIRED_COLUMNS),
        )
    header_row, titles = rows[header_index]
    keys = [_column_key(title) for title in titles]
    issues = [
        ImportIssue(file_name, header_row, column, "colonne obligatoire absente de l'en-tête")
        for column in REQUIRED_COLUMNS
        if column not in keys
    ]
    duplicates = sorted({key for key in keys if key and keys.count(key) > 1})
    issues += [ImportIssue(file_name, header_row, key, "colonne en double dans l'en-tête") for key in duplicates]
    if issues:
        raise InvoiceRefused(issues)
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    positions = {key: index for index, key in enumerate(keys) if key in known}

    issues = []
    document: dict[str, tuple[int, object]] = {}  # column -> (first row, parsed value)
    lines: list[InvoiceLineData] = []
    for row_number, values in rows[header_index + 1 :]:
        cells = {key: values[index] if index < len(values) else None for key, index in positions.items()}
        if all(blank(value) for value in cells.values()):
            continue
        row = _SpreadsheetRow(file_name, row_number, cells, issues)
        _document_cells(row, document)
        line = _line_cells(row)
        if line is not None:
            lines.append(line)
    if not lines and not issues:
        issues.append(ImportIssue(file_name, None, None, "aucune ligne de facture après l'en-tête"))
    if issues:
        raise InvoiceRefused(issues)

    def value(column: str, default=None):
        found = document.get(column, (None, None))[1]
        return default if found is None else found

    line_total = sum((line.net_amount for line in lines), ZERO)
    bases: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        bases[(line.vat_category, line.vat_rate)] += line.net_amount
    breakdown = tuple(
        VatBreakdown(category, rate, base, vat_amount(base, category, rate))
        for (category, rate), base in sorted(bases.items(), key=lambda item: (-item[0][1], item[0][0]))
    )
    tax_total = sum((entry.tax_amount for entry in breakdown), ZERO)
    return InvoiceData(
        number=value("numero_facture"),
        type_code=value("type_facture", "380"),
        issue_date=value("date_facture"),
        due_date=value("date_echeance"),
        currency=EURO,
        seller_name=value("fournisseur_nom", ""),
        seller_siret=value("fournisseur_siret"),
        seller_vat=value("fournisseur_tva"),
        buyer_name=value("acheteur_nom", ""),
        buyer_siret=value("acheteur_siret"),
        order_reference=lines[0].order_ref if len({line.order_ref for line in lines}) == 1 else None,
        lines=tuple(lines),
        allowances_charges=(),
        line_total=line_total,
        allowance_total=ZERO,
        charge_total=ZERO,
        tax_exclusive=line_total,
        tax_total=tax_total,
        tax_inclusive=line_total + tax_total,
        prepaid=ZERO,
        payable=line_total + tax_total,
        vat_breakdown=breakdown,
        source_format=source_format,
    )


def _invoice_number(raw) -> str:
    text = cell_text(raw)
    if len(text) > MAX_NUMBER_LENGTH:
        raise ValueError(f"numéro trop long ({len(text)} caractères ; {MAX_NUMBER_LENGTH} au plus)")
    return text


def _digits(raw, length: int) -> str:
    """A code typed in a number cell lost its leading zeros (01001 became 1001): put them back."""
    text = cell_text(raw)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return text.zfill(length)
    return text


def _name(raw) -> str:
    return _clip(cell_text(raw), MAX_REASON_LENGTH)


_siret = _identifier(lambda raw: clean_siret(_digits(raw, 14)))
_insee = _identifier(lambda raw: clean_insee(_digits(raw, 5)))

_DOCUMENT_PARSERS: dict[str, tuple[Callable, bool]] = {  # column -> (parser, required)
    "numero_facture": (_invoice_number, True),
    "date_facture": (_sheet_date, True),
    "fournisseur_siret": (_siret, True),
    "type_facture": (_sheet_type, False),
    "date_echeance": (_sheet_date, False),
    "fournisseur_nom": (_name, False),
    "fournisseur_tva": (lambda raw: _vat_number(cell_text(raw)), False),
    "acheteur_nom": (_name, False),
    "acheteur_siret": (_siret, False),
}


def _document_cells(row: _SpreadsheetRow, document: dict[str, tuple[int, object]]) -> None:
    """The invoice's own fields: required on every row, and the same on every row."""
    for column in DOCUMENT_COLUMNS:
        parse, required = _DOCUMENT_PARSERS[column]
        if column not in row.values:
            continue
        issues_before = len(row.issues)
        parsed = row.parsed(column, parse, required)
        if len(row.issues) > issues_before:
            continue
        if column not in document:
            document[column] = (row.row, parsed)
        elif document[column][1] != parsed:
            first_row, first = document[column]
            shown = first.strftime("%d/%m/%Y") if isinstance(first, date) else (first or "vide")
            row.fail(
                column,
                f"valeur différente de celle de la ligne {first_row} (« {shown} ») : un fichier ne contient "
                "qu'une facture, dont ces colonnes sont répétées à l'identique sur chaque ligne",
            )


def _line_cells(row: _SpreadsheetRow) -> InvoiceLineData | None:
    issues_before = len(row.issues)
    order_ref = row.text("numero_commande", required=True)
    if order_ref and len(order_ref) > MAX_NUMBER_LENGTH:
        row.fail("numero_commande", f"numéro trop long ({MAX_NUMBER_LENGTH} caractères au plus)")
    insee = row.parsed("code_insee", _insee)
    item_ref = row.text("ref_article")
    description = row.text("designation")
    if not item_ref and not description:
        row.fail("designation", "désignation ou référence d'article obligatoire")
    quantity = row.parsed("quantite", _sheet_quantity)
    unit_price = row.parsed("prix_unitaire_ht", _sheet_price)
    rate = row.parsed("taux_tva", _sheet_rate)
    category = (row.text("categorie_tva") or "").upper() or ("S" if rate else "E")
    declared_net = row.parsed("montant_ht", _sheet_amount, required=False)
    if len(row.issues) > issues_before:
        return None
    net = declared_net
    if net is None:
        net = (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
    return InvoiceLineData(
        line_id=str(row.row),
        item_ref=item_ref,
        description=_clip(description or "", MAX_DESCRIPTION_LENGTH),
        quantity=quantity,
        unit_price=unit_price,
        net_amount=net,
        vat_category=category,
        vat_rate=rate,
        order_ref=order_ref,
        commune_insee=insee,
    )
