"""Form pieces every feature's pages use: French messages, bounded field types, error flashes."""

from __future__ import annotations

import re
from decimal import Decimal

from flask import flash
from flask_wtf import FlaskForm
from sqlalchemy import Numeric
from wtforms import Field, SearchField, StringField, TextAreaField
from wtforms.i18n import get_translations
from wtforms.validators import Length, ValidationError
from wtforms.widgets import HiddenInput, NumberInput, TextInput

from groupement.core import numbers
from groupement.core.types import Money


class FrenchForm(FlaskForm):
    """WTForms' own messages (not an integer, not a valid choice...) in French."""

    class Meta:
        def get_translations(self, form):
            return get_translations(["fr_FR", "fr"])

    def validate(self, extra_validators=None) -> bool:
        """A NUL byte in any field (a select, a date, a field of WTForms' own) is refused there."""
        valid = super().validate(extra_validators)
        for field in self:
            raw = getattr(field, "raw_data", None) or []
            if any(isinstance(value, str) and "\x00" in value for value in raw) and NUL_MESSAGE not in field.errors:
                field.errors = [*field.errors, NUL_MESSAGE]
                valid = False
        return valid


def within(low, high, message: str):
    """NumberRange, silent when the value could not be read (that error is already shown)."""

    def check(form, field) -> None:
        if field.data is not None and not low <= field.data <= high:
            raise ValidationError(message)

    return check


# --- field types: every form and URL parameter is read by one of these ---------------------------
#
# Odd values (1e30, thirty nines, 0,0000001, "²", full-width digits, a NUL byte, 10 000
# characters, an id beyond the database integer) become a French message beside the field, never
# an exception further down (a CHECK, an OverflowError, a PostgreSQL DataError).

DB_INT_MAX = 2_147_483_647  # INTEGER columns (ids included) on PostgreSQL and in the URLs
NUL_MESSAGE = "Caractère interdit (octet nul)."
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_MAX_NUMBER_LENGTH = 40  # characters typed for one number, spaces included


def _spaceless(text: str) -> str:
    """'1 234,56 €' -> '1234,56': spaces (thin and non-breaking ones too) and the euro sign out."""
    return "".join(text.split()).replace("\u202f", "").replace("€", "")


def _readable(raw: object, message: str) -> str:
    if not isinstance(raw, str):
        raise ValueError(message)
    if "\x00" in raw:
        raise ValueError(NUL_MESSAGE)
    if len(raw) > _MAX_NUMBER_LENGTH:
        raise ValueError("Nombre trop long.")
    return _spaceless(raw)


def _french(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def parse_bounded_decimal(
    raw: object, column: Numeric = Money, invalid_message: str = "Nombre attendu, par exemple 12,5."
) -> Decimal | None:
    """A decimal typed the French way ('12,5', '1 234,56 €', '1234.56'), within what `column`
    (a Numeric(precision, scale) of core.types) stores: no more than `scale` decimals, fewer than
    precision - scale digits before the comma. Only ASCII digits; no exponent, NaN or infinity.
    Blank is None. Raises ValueError with a French sentence."""
    text = _readable(raw, invalid_message)
    if not text:
        return None
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if not _DECIMAL.fullmatch(text):
        raise ValueError(invalid_message)
    try:  # the column's bounds: the same rule as the files' figures (core.numbers), worded for a form
        value = numbers.parse_bounded_decimal(text, max_digits=column.precision, scale=column.scale)
    except numbers.InvalidNumber as refusal:
        if refusal.kind == "too_large":
            largest = Decimal(10) ** (column.precision - column.scale) - Decimal(1).scaleb(-column.scale)
            raise ValueError(f"Nombre trop grand : {_french(largest)} au plus.") from refusal
        if refusal.kind in ("too_many_decimals", "rounds_to_zero"):
            places = column.scale
            raise ValueError(
                f"{places} décimale{'s' if places > 1 else ''} au plus." if places else "Nombre entier attendu."
            ) from refusal
        raise ValueError(invalid_message) from refusal
    return value + 0  # -0 -> 0


def parse_bounded_int(
    raw: object,
    minimum: int = 0,
    maximum: int = DB_INT_MAX,
    invalid_message: str = "Nombre entier attendu.",
    range_message: str | None = None,
) -> int | None:
    """A whole number of ASCII digits ('1 200' too), from minimum to maximum. Blank is None.
    Raises ValueError with a French sentence ('²' and '１２' are not numbers here)."""
    text = _readable(raw, invalid_message)
    if not text:
        return None
    if not _INTEGER.fullmatch(text):
        raise ValueError(invalid_message)
    value = int(text)
    if not minimum <= value <= maximum:
        raise ValueError(range_message or f"Nombre entier de {minimum} à {maximum} attendu.")
    return value


def parse_id(raw: object) -> int:
    """A row id: ASCII digits from 1 to the database integer maximum. Raises ValueError."""
    value = parse_bounded_int(raw, 1, DB_INT_MAX, "Identifiant invalide.", "Identifiant invalide.")
    if value is None:
        raise ValueError("Identifiant invalide.")
    return value


def is_id(text: object) -> bool:
    try:
        parse_id(text)
    except ValueError:
        return False
    return True


def id_coerce(value) -> int:
    """Coerce for a select, radio or check boxes of rows: an id in range, else a French refusal."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 1 <= value <= DB_INT_MAX:
            return value
        raise ValueError("Identifiant invalide.")
    return parse_id(value)


def optional_int(value) -> int | None:
    """Coerce for a select whose first option, '', says 'choose'; otherwise an id in range."""
    return None if value in ("", None) else id_coerce(value)


class FrenchDecimalField(Field):
    """A decimal typed the French way: '12,5', '250 000', '1 234,56 €'. Never a float. Bounded by
    `column` (core.types Money by default; Rate for percentages, weights and scores, UnitPrice
    for unit prices): its scale and its digits before the comma."""

    widget = TextInput()

    def __init__(
        self,
        label=None,
        validators=None,
        invalid_value_message="Nombre attendu, par exemple 12,5.",
        column: Numeric = Money,
        **kw,
    ):
        super().__init__(label, validators, **kw)
        self.invalid_value_message = invalid_value_message
        self.column = column

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return _french(self.data)  # 20.00 -> 20, 12.50 -> 12,5

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        self.data = None
        self.data = parse_bounded_decimal(valuelist[0], self.column, self.invalid_value_message)


class BoundedIntegerField(Field):
    """A whole number of ASCII digits within [minimum, maximum] ('1 200' accepted)."""

    widget = NumberInput()

    def __init__(
        self,
        label=None,
        validators=None,
        minimum: int = 0,
        maximum: int = DB_INT_MAX,
        invalid_value_message: str = "Nombre entier attendu.",
        range_message: str | None = None,
        **kw,
    ):
        super().__init__(label, validators, **kw)
        self.minimum, self.maximum = minimum, maximum
        self.invalid_value_message, self.range_message = invalid_value_message, range_message

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        self.data = None
        self.data = parse_bounded_int(
            valuelist[0], self.minimum, self.maximum, self.invalid_value_message, self.range_message
        )


def IdField(label=None, validators=None, **kw) -> BoundedIntegerField:  # noqa: N802  (a field type)
    """A row id carried by a form (a hidden field): 1 to the database integer maximum."""
    kw.setdefault("widget", HiddenInput())
    return BoundedIntegerField(label, validators, 1, DB_INT_MAX, "Identifiant invalide.", "Identifiant invalide.", **kw)


class _CleanText:
    """Text without NUL, trimmed; `max_length` (the column's) caps it with a French message."""

    def __init__(self, label=None, validators=None, max_length: int | None = None, **kw):
        validators = list(validators or [])
        if max_length is not None:
            validators.append(
                Length(max=max_length, message=f"{max_length:,} caractères au plus.".replace(",", "\u202f"))
            )
        super().__init__(label, validators, **kw)

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        raw = valuelist[0]
        if not isinstance(raw, str):
            self.data = ""
            raise ValueError("Texte attendu.")
        if "\x00" in raw:
            self.data = ""
            raise ValueError(NUL_MESSAGE)
        self.data = raw.strip()


class TextField(_CleanText, StringField):
    """A one-line text: trimmed, no NUL, length-capped."""


class LongTextField(_CleanText, TextAreaField):
    """A multi-line text: trimmed, no NUL, length-capped."""


class SearchTextField(_CleanText, SearchField):
    """The words of a search box: trimmed, no NUL, length-capped."""


def flash_errors(form, labelled: bool = False) -> None:
    """Each error of a refused form as an error flash; `labelled` names the field first
    (for forms whose messages do not say which field they are about)."""
    for message in getattr(form, "form_errors", []):
        flash(message, "error")
    for field in form:
        for message in field.errors:
            flash(f"{field.label.text} : {message}" if labelled else message, "error")
