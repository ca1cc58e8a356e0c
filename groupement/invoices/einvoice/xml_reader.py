"""What the CII and UBL readers share: elements found by their local names (any prefix, any
version of the namespaces), problems collected rather than stopping at the first, figures read
leniently (decimal commas, currencyID or not), the euro required.

Identifiers: the SIRET of a party is the identifier with scheme 0009 (BT-29/BT-30 in CII
GlobalID or SpecifiedLegalOrganization/ID, in UBL PartyIdentification/ID or
PartyLegalEntity/CompanyID), spaces removed, kept only when it has 14 digits. The VAT number is
the CII SpecifiedTaxRegistration with scheme VA, the UBL PartyTaxScheme of tax scheme VAT. A
line's item reference is the seller's (BT-155), else the buyer's (BT-156), else the standard one
(BT-157); its order reference is the line's own order document when given, else the document's
BT-13; the commune is not said by CII or UBL (commune_insee is None).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from groupement.core.imports import ImportIssue
from groupement.core.numbers import MONEY, QUANTITY, RATE, Bounds, InvalidNumber, parse_within
from groupement.core.timeutil import paris_today
from groupement.invoices.document_types import document_type, refusal
from groupement.invoices.einvoice.common import EURO, MAX_LINES, MAX_NUMBER_LENGTH, implausible_date, refused
from groupement.invoices.rules import HEADER_ONLY_PROFILES, NO_VAT_CATEGORIES, ZERO, InvoiceRefused

SIRET_SCHEME = "0009"


def local_name(element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def children(element, name: str) -> Iterator:
    if element is None:
        return
    for child in element:
        if isinstance(child.tag, str) and local_name(child) == name:
            yield child


def all_at(element, path: str) -> list:
    """Every element at `path` (local names separated by /) below `element`."""
    found = [element] if element is not None else []
    for name in path.split("/"):
        found = [child for parent in found for child in children(parent, name)]
    return found


def first_at(element, path: str):
    found = all_at(element, path)
    return found[0] if found else None


def text_of(element, path: str | None = None) -> str | None:
    """The stripped text at `path`, None when absent or empty."""
    target = first_at(element, path) if path else element
    if target is None or target.text is None:
        return None
    return " ".join(target.text.split()) or None


class Reader:
    """What CII and UBL readers share: collecting problems, reading figures leniently."""

    def __init__(self, root, file_name: str, source_format: str, today: date | None = None):
        self.root = root
        self.file_name = file_name
        self.source_format = source_format
        self.today = today or paris_today()
        self.problems: list[str] = []

    def problem(self, reason: str) -> None:
        self.problems.append(reason)

    def refuse_if_problems(self) -> None:
        if self.problems:
            raise InvoiceRefused([ImportIssue(self.file_name, None, None, reason) for reason in self.problems])

    def check_currency(self, code: str | None) -> str:
        if code is None:
            raise refused(
                self.file_name, "devise de la facture (BT-5) absente : seules les factures en euros sont acceptées"
            )
        if code.upper() != EURO:
            raise refused(
                self.file_name,
                f"facture en devise « {code} » : seules les factures en euros (EUR) sont acceptées ; "
                "demandez au fournisseur une facture en euros",
            )
        return EURO

    def amount(self, element, label: str, required: bool = False, bounds: Bounds = MONEY) -> Decimal:
        """An amount (a Money column, or PRICE_AS_WRITTEN for a price), in euros."""
        if element is None or not (element.text or "").strip():
            if required:
                self.problem(f"{label} absent")
            return ZERO
        currency = element.get("currencyID")
        if currency is not None and currency.strip().upper() != EURO:
            self.problem(f"{label} exprimé en « {currency} » : seules les factures en euros (EUR) sont acceptées")
        return self.number(element.text, label, bounds=bounds)

    def number(
        self, text: str | None, label: str, default: Decimal | None = None, bounds: Bounds = QUANTITY
    ) -> Decimal:
        """A figure within its column's digits (core.numbers): an odd value is a problem naming
        the field and the line, never an overflow later."""
        if text is None or not text.strip():
            if default is None:
                self.problem(f"{label} absent")
                return ZERO
            return default
        try:
            return parse_within(text, bounds)
        except InvalidNumber as error:
            self.problem(f"{label} : {error.reason}")
            return ZERO

    def rate(self, text: str | None, category: str | None, label: str) -> Decimal:
        if text is None and (category in NO_VAT_CATEGORIES or category is None):
            return ZERO
        value = self.number(text, f"taux de TVA{label}", bounds=RATE)
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

    def date(
        self, text: str | None, label: str, required: bool = False, fmt: str | None = None, due: bool = False
    ) -> date | None:
        """An issue date (or a due date: `due`), read and within the plausible window (common)."""
        if text is None:
            if required:
                self.problem(f"{label} absente")
            return None
        value = text.strip()
        read = None
        try:
            if fmt in (None, "102") and re.fullmatch(r"\d{8}", value, re.ASCII):
                read = datetime.strptime(value, "%Y%m%d").date()
            elif re.match(r"\d{4}-\d{2}-\d{2}", value, re.ASCII):
                read = date.fromisoformat(value[:10])
        except ValueError:
            pass
        if read is None:
            self.problem(f"{label} illisible « {value[:30]} »")
            return None
        if reason := implausible_date(read, self.today, due=due):
            self.problem(f"{label} : {reason}")
            return None
        return read

    def document_fields(self, number: str | None, type_code: str | None) -> tuple[str, str]:
        if number is None:
            self.problem("numéro de facture (BT-1) absent")
        elif len(number) > MAX_NUMBER_LENGTH:
            self.problem(f"numéro de facture (BT-1) trop long ({len(number)} caractères ; {MAX_NUMBER_LENGTH} au plus)")
        if document_type(type_code) is None:
            self.problem(refusal(type_code))
        return number or "", (type_code or "").strip()

    def check_lines(self, count: int, profile: str = "") -> None:
        if count == 0 and profile not in HEADER_ONLY_PROFILES:
            self.problem("aucune ligne de facture")
        elif count > MAX_LINES:
            raise refused(self.file_name, f"trop de lignes ({count} ; {MAX_LINES} au plus)")

    def check_seller(self, name: str | None, siret: str | None) -> None:
        if not name and not siret:
            self.problem("vendeur sans nom ni SIRET (BT-27)")


def profile_of(guideline: str | None) -> str:
    """The Factur-X / ZUGFeRD profile named by the guideline (BT-24): MINIMUM, BASIC WL, BASIC,
    EN 16931 or EXTENDED (CTC-FR included); "" when it names none of them (XRechnung, Peppol...)."""
    text = (guideline or "").lower()
    for marker, profile in (
        ("minimum", "MINIMUM"),
        ("basicwl", "BASIC WL"),
        ("basic-wl", "BASIC WL"),
        ("extended", "EXTENDED"),
        ("basic", "BASIC"),
        ("comfort", "EN 16931"),  # ZUGFeRD 1.0's name for the full profile
    ):
        if marker in text:
            return profile
    return "EN 16931" if text.startswith("urn:cen.eu:en16931") else ""


def siret_in(candidates: Iterable) -> str | None:
    for element in candidates:
        if (element.get("schemeID") or "").strip() == SIRET_SCHEME:
            value = re.sub(r"\s", "", element.text or "")
            if re.fullmatch(r"\d{14}", value):
                return value
    return None


def amount_currency(element) -> str | None:
    if element is None:
        return None
    currency = element.get("currencyID")
    return currency.strip().upper() if currency else None
