"""The spreadsheet template's cells read one by one (invoices.einvoice.spreadsheet): dates, amounts,
rates, identifiers, yes/no, each a French reason when it cannot be read; and the row that
collects every problem of a file instead of stopping at the first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from groupement.core.files.xlsx import cell_text
from groupement.core.identifiers import InvalidIdentifier
from groupement.core.imports import ImportIssue
from groupement.core.money import CENT, exactly, has_at_most
from groupement.core.numbers import MONEY, QUANTITY, UNIT_PRICE, Bounds, parse_bounded_decimal, parse_within
from groupement.core.timeutil import paris_today
from groupement.invoices.document_types import document_type
from groupement.invoices.einvoice.common import (
    MAX_NUMBER_LENGTH,
    MAX_REASON_LENGTH,
    clip,
    implausible_date,
)
from groupement.invoices.rules import (
    ONE,
    ZERO,
)

FRENCH_RATES = (Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1"), ZERO)


YES_WORDS = {"oui": True, "o": True, "x": True, "1": True, "non": False, "n": False, "0": False, "": False}


TYPE_WORDS = {"facture": "380", "avoir": "381", "facture rectificative": "384", "rectificative": "384"}


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
    if text.isascii():
        for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
            try:
                return datetime.strptime(text, fmt).date()
            except ValueError:
                continue
    raise ValueError(f"date illisible « {text[:30]} » (format attendu : 28/11/2026)")


def _plausible(due: bool) -> Callable:
    def parse(raw) -> date:
        value = _sheet_date(raw)
        if reason := implausible_date(value, paris_today(), due=due):
            raise ValueError(reason)
        return value

    return parse


def _bounded(raw, bounds: Bounds) -> Decimal:
    """A figure within its column's digits (core.numbers: finite, not too large, no decimal
    beyond the column's, ASCII digits); the reason names the column through the row's issue."""
    return parse_within(raw, bounds)


def _sheet_quantity(raw) -> Decimal:
    value = _bounded(raw, QUANTITY)
    if value <= 0:
        raise ValueError(f"la quantité doit être positive (« {cell_text(raw)} »)")
    return value


def _sheet_price(raw) -> Decimal:
    value = _bounded(raw, UNIT_PRICE)
    if value < 0:
        raise ValueError(f"le prix ne peut pas être négatif (« {cell_text(raw)} »)")
    return value


def _sheet_amount(raw) -> Decimal:
    return _bounded(raw, MONEY)


def _sheet_rate(raw) -> Decimal:
    text = cell_text(raw).replace("%", "").strip() if isinstance(raw, str) else raw
    # Read with room for a percentage cell (0,055 is 5,5 %), then judged as a rate.
    value = parse_bounded_decimal(text, max_digits=8, scale=5)
    if ZERO < value < ONE and (value * 100).normalize() in FRENCH_RATES:
        value = value * 100  # a percentage cell: 0,2 shown as 20 %
    if not ZERO <= value <= 100:
        raise ValueError(f"taux de TVA hors de 0 à 100 (« {cell_text(raw)} »)")
    if not has_at_most(value, CENT):
        raise ValueError(f"taux de TVA à 2 décimales au plus (« {cell_text(raw)} »)")
    return exactly(value, CENT)


def _sheet_type(raw) -> str:
    text = " ".join(cell_text(raw).split()).casefold()
    code = TYPE_WORDS.get(text, text)
    if document_type(code) is None:
        raise ValueError(
            f"type « {cell_text(raw)} » inconnu : 380 (facture), 381 (avoir), 384 (facture rectificative), "
            "386 (facture d'acompte) ou un autre code de la norme EN 16931"
        )
    return code


def _identifier(clean: Callable[[str], str]) -> Callable:
    def parse(raw) -> str:
        try:
            return clean(raw)
        except InvalidIdentifier as error:
            raise ValueError(str(error).rstrip(".")) from None

    return parse


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
    return clip(cell_text(raw), MAX_REASON_LENGTH)


def _reference(raw, limit: int) -> str:
    text = " ".join(cell_text(raw).split())
    if len(text) > limit:
        raise ValueError(f"référence trop longue ({len(text)} caractères ; {limit} au plus)")
    return text


def _yes_no(raw) -> bool:
    text = cell_text(raw).strip().casefold() if not isinstance(raw, bool) else ("oui" if raw else "non")
    if text not in YES_WORDS:
        raise ValueError(f"« {cell_text(raw)[:20]} » : oui ou non attendu")
    return YES_WORDS[text]
