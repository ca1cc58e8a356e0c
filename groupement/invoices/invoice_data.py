"""A supplier's invoice as plain data, as groupement.invoices.einvoice reads it from any accepted
format (Factur-X, CII, UBL 2.1 Invoice and CreditNote, the spreadsheet template), with the codes and
constants its rules use. Pure. Amounts are as written in the document: a credit note (381)
carries positive amounts and the caller negates them. The arithmetic is in invoices.rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import groupement.core.money as money
from groupement.core.errors import ServiceError
from groupement.core.imports import ImportIssue
from groupement.invoices.document_types import DocumentType, document_type, type_label
from groupement.invoices.states import InvoiceKind

ZERO = Decimal("0")
ONE = Decimal("1")
CENT_EXPONENT = Decimal("0.01")

INVOICE = "380"
CREDIT_NOTE = "381"
CORRECTIVE = "384"
# Factur-X line statuses (BT-X-8): only DETAIL lines (or lines without a status) count in the totals.
COUNTED_LINE_STATUSES = frozenset({"", "DETAIL"})
# Factur-X profiles without lines (the PDF stays the legal invoice).
HEADER_ONLY_PROFILES = frozenset({"MINIMUM", "BASIC WL"})

LINE_RULE = "PEPPOL-EN16931-R120"
# The prefix of the EN 16931 rules of each VAT category (BR-S-08, BR-IC-08 for K...).
CATEGORY_RULE_PREFIX = {
    "S": "BR-S",
    "Z": "BR-Z",
    "E": "BR-E",
    "AE": "BR-AE",
    "K": "BR-IC",
    "G": "BR-G",
    "O": "BR-O",
    "L": "BR-IG",
    "M": "BR-IP",
}
# Categories whose VAT amount is always zero, whatever rate is written.
NO_VAT_CATEGORIES = frozenset({"Z", "E", "AE", "K", "G", "O"})


class InvoiceRefused(ServiceError):
    """The file cannot be read as an invoice. `reasons` are French sentences naming the file
    (and for a spreadsheet the row and the column), fit to show as they are."""

    def __init__(self, reasons: Iterable[str | ImportIssue]):
        given = list(reasons)
        self.issues = tuple(reason for reason in given if isinstance(reason, ImportIssue))
        self.reasons = [str(reason) for reason in given]
        super().__init__("; ".join(self.reasons))


@dataclass(frozen=True)
class DeliverySite:
    """Where one line is delivered (the French CTC extension and Factur-X EXTENDED carry it per line:
    UBL InvoiceLine/Delivery/DeliveryLocation, CII SpecifiedLineTradeDelivery/ShipToTradeParty):
    the split gives such a line to the member commune it names, when it names one."""

    siret: str | None = None
    postcode: str = ""
    city: str = ""


@dataclass(frozen=True)
class InvoiceLineData:
    line_id: str  # BT-126 (the spreadsheet row number for the template)
    item_ref: str | None  # BT-155 seller's item id, else BT-156 buyer's, else BT-157 standard
    description: str  # BT-153
    quantity: Decimal  # BT-129
    unit_price: Decimal  # BT-146, net price, for price_base_quantity units
    net_amount: Decimal  # BT-131
    vat_category: str  # BT-151
    vat_rate: Decimal  # BT-152, per cent (20.00)
    order_ref: str | None  # the order this line delivers (the document's BT-13 unless the line has one)
    commune_insee: str | None  # only the spreadsheet template says it
    price_base_quantity: Decimal = ONE  # BT-149
    line_allowances: Decimal = ZERO  # Σ BT-136
    line_charges: Decimal = ZERO  # Σ BT-141
    status: str = ""  # BT-X-8 (Factur-X EXTENDED): DETAIL, GROUP, INFORMATION, or "" (a plain line)
    parent_id: str | None = None  # BT-X-304, the GROUP line it details (UBL: the line a SubInvoiceLine is in)
    delivery: DeliverySite | None = None  # the line's own delivery place (CTC-FR, Factur-X EXTENDED)

    @property
    def exact_net(self) -> Decimal:
        return self.quantity * self.unit_price / self.price_base_quantity + self.line_charges - self.line_allowances

    @property
    def expected_net(self) -> Decimal:
        """round(quantity × price / base + charges − allowances, 2), half up."""
        return money.to_cents(self.exact_net)

    @property
    def counts(self) -> bool:
        """Whether the line is summed in the totals (not a GROUP subtotal nor an INFORMATION line)."""
        return self.status in COUNTED_LINE_STATUSES


@dataclass(frozen=True)
class AllowanceCharge:
    """A document-level allowance (BG-20, a discount) or charge (BG-21, e.g. delivery)."""

    is_charge: bool
    amount: Decimal  # BT-92 / BT-99
    vat_category: str  # BT-95 / BT-102
    vat_rate: Decimal  # BT-96 / BT-103
    reason: str  # BT-97 / BT-104, else the reason code
    logistics: bool = False  # a Factur-X EXTENDED logistics service charge (BG-X-42), counted in BT-108


@dataclass(frozen=True)
class VatBreakdown:
    """One declared line of the VAT breakdown (BG-23)."""

    category: str  # BT-118
    rate: Decimal  # BT-119
    taxable_amount: Decimal  # BT-116
    tax_amount: Decimal  # BT-117


@dataclass(frozen=True)
class InvoiceData:
    number: str  # BT-1
    type_code: str  # BT-3: one of document_types.ACCEPTED_CODES
    issue_date: date  # BT-2
    due_date: date | None  # BT-9
    currency: str  # BT-5 (always EUR: other currencies are refused)
    seller_name: str  # BT-27
    seller_siret: str | None  # BT-29 / BT-30 with scheme 0009
    seller_vat: str | None  # BT-31
    buyer_name: str  # BT-44
    buyer_siret: str | None  # BT-46 / BT-47 with scheme 0009
    order_reference: str | None  # BT-13
    lines: tuple[InvoiceLineData, ...]
    allowances_charges: tuple[AllowanceCharge, ...]
    line_total: Decimal  # BT-106
    allowance_total: Decimal  # BT-107 (0 when absent)
    charge_total: Decimal  # BT-108 (0 when absent)
    tax_exclusive: Decimal  # BT-109
    tax_total: Decimal  # BT-110 (0 when absent)
    tax_inclusive: Decimal  # BT-112
    prepaid: Decimal  # BT-113 (0 when absent)
    payable: Decimal  # BT-115
    vat_breakdown: tuple[VatBreakdown, ...]
    source_format: str  # "factur-x", "cii", "ubl", "xlsx" or "csv"
    rounding: Decimal = ZERO  # BT-114
    profile: str = ""  # Factur-X / ZUGFeRD profile: MINIMUM, BASIC WL, BASIC, EN 16931, EXTENDED ("" unknown)
    buyer_reference: str | None = None  # BT-10

    @property
    def is_credit_note(self) -> bool:
        return self.document_type.kind is InvoiceKind.CREDIT_NOTE

    @property
    def document_type(self) -> DocumentType:
        found = document_type(self.type_code)
        if found is None:
            raise ValueError(f"type de document {self.type_code} hors de la norme")
        return found

    @property
    def type_label(self) -> str:
        return type_label(self.type_code)

    @property
    def header_only(self) -> bool:
        return not self.lines and self.profile in HEADER_ONLY_PROFILES

    @property
    def counted_lines(self) -> tuple[InvoiceLineData, ...]:
        return tuple(line for line in self.lines if line.counts)

    @property
    def extended_amounts(self) -> int:
        """For Factur-X EXTENDED, how many amounts the totals sum (its rules allow a cent each)."""
        if self.profile != "EXTENDED":
            return 0
        return len(self.counted_lines) + len(self.allowances_charges)
