"""Bounded decimals: a number typed or read at a boundary (a file cell, an XML element, a form
field), checked before any arithmetic or any write so that an odd value is a French refusal and
never a 500 (numeric overflow, a CHECK failing after a silent rounding, an exponent too large
to compute with).

`parse_bounded_decimal(text, max_digits=14, scale=2, field="montant")` accepts what a person or
a program writes for a decimal: "1 234,56", "1234.56", "-3", "12,5 €", an int, a Decimal, or a
float as it comes out of a spreadsheet cell (its shortest repr, so 0.1 stays 0.1), and returns
the Decimal unchanged (never rounded: rounding belongs to core.money). It refuses, with
`InvalidNumber` (a ValueError whose message is French and names the field):

- what is not a plain number: letters, NaN, infinities, several signs, a comma and a point
  together ("1.234,56" is ambiguous), more than MAX_TEXT_LENGTH characters;
- digits other than 0 to 9 ("２" full-width, "²" superscript, "٣" Arabic-Indic), which Python's
  Decimal would otherwise read as numbers;
- a value with more integer digits than the column holds (`max_digits - scale`): "1e30",
  thirty nines, "1e999999";
- a value with more significant decimals than `scale`, and in particular a non-zero value that
  the column would round to 0 ("0,0000001" with 4 decimals), with its own message.

An exponent is read ("1e-05" is how a spreadsheet float may print) only within these bounds.
`BOUNDS` gives (max_digits, scale) of the column types of core.types (Money, UnitPrice, Rate),
so that a reader names the column rather than the digits. Pure: standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import NamedTuple


class Bounds(NamedTuple):
    """The digits of a Numeric(max_digits, scale) column; `stored_scale`, when set, the decimals
    the value keeps once stored (a finer figure is rounded to it by the import, through core.money):
    a non-zero value that would become 0 there is refused."""

    max_digits: int
    scale: int
    stored_scale: int | None = None


# The same figures as core.types (tests/unit/test_numbers.py checks they agree).
MONEY = Bounds(14, 2)
UNIT_PRICE = Bounds(14, 4)
QUANTITY = Bounds(14, 4)  # invoice and order quantities are stored as UnitPrice
RATE = Bounds(5, 2)
# EN 16931 limits the decimals of amounts (2, BR-DEC rules) but not of prices: a net price of
# 0,123456 € (BT-146) is valid and common on utility invoices. The e-invoice readers take a price
# with up to 10 decimals, within the same integer digits as the column; the import rounds it to the
# column's 4 decimals through core.money (the line's net amount, exact to the cent, is what is
# split). Quantities keep the column's 4 decimals: one that would round to 0 is refused.
PRICE_AS_WRITTEN = Bounds(20, 10, stored_scale=4)

MAX_TEXT_LENGTH = 64
_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009\t")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]{1,7})?", re.ASCII)


class InvalidNumber(ValueError):
    """A refused number: `reason` alone (for a caller that names the field itself), or the
    message with the field, `str(error)`."""

    def __init__(self, reason: str, field: str | None = None, kind: str = "invalid"):
        self.reason = reason
        self.field = field
        self.kind = kind  # "invalid", "not_finite", "too_large", "too_many_decimals", "rounds_to_zero"
        super().__init__(f"{field} : {reason}" if field else reason)


def parse_bounded_decimal(text: object, *, max_digits: int, scale: int, field: str | None = None) -> Decimal:
    """The decimal in `text`, if a Numeric(max_digits, scale) column holds it exactly (see the
    module's docstring); InvalidNumber otherwise."""
    value = _decimal(text, field)
    shown = _shown(text)
    if not value.is_finite():
        raise InvalidNumber(f"« {shown} » n'est pas un nombre fini", field, "not_finite")
    integer_digits = max_digits - scale
    if value and value.adjusted() >= integer_digits:
        raise InvalidNumber(
            f"« {shown} » est trop grand ({integer_digits} chiffres au plus avant la virgule)", field, "too_large"
        )
    if _decimals(value) > scale:
        if abs(value) < Decimal(5).scaleb(-(scale + 1)):
            raise InvalidNumber(
                f"« {shown} » serait arrondi à 0 avec {scale} décimale{'s' if scale > 1 else ''} : "
                "valeur refusée plutôt qu'effacée",
                field,
                "rounds_to_zero",
            )
        raise InvalidNumber(f"« {shown} » a trop de décimales ({scale} au plus)", field, "too_many_decimals")
    if value.as_tuple().exponent > 0:
        value = Decimal(int(value))  # "1e2" is 100, not 1E+2 (bounded: int() is cheap here)
    return value


def fits(value: Decimal, bounds: Bounds) -> bool:
    """A computed value (a line's net, a total) has no more integer digits than the column holds."""
    return not value or value.adjusted() < bounds.max_digits - bounds.scale


def parse_within(text: object, bounds: Bounds, field: str | None = None) -> Decimal:
    """parse_bounded_decimal with the digits of a column type (MONEY, UNIT_PRICE, QUANTITY, RATE,
    PRICE_AS_WRITTEN)."""
    value = parse_bounded_decimal(text, max_digits=bounds.max_digits, scale=bounds.scale, field=field)
    if bounds.stored_scale is not None and value and abs(value) < Decimal(5).scaleb(-(bounds.stored_scale + 1)):
        raise InvalidNumber(
            f"« {_shown(text)} » serait arrondi à 0 avec {bounds.stored_scale} décimales : "
            "valeur refusée plutôt qu'effacée",
            field,
        )
    return value


def _decimal(text: object, field: str | None) -> Decimal:
    if isinstance(text, Decimal):
        return text
    if isinstance(text, bool):
        raise InvalidNumber("nombre attendu", field)
    if isinstance(text, int):
        if abs(text) >= 10**MAX_TEXT_LENGTH:
            raise InvalidNumber("nombre beaucoup trop grand", field)
        return Decimal(text)
    if isinstance(text, float):
        text = repr(text)  # 'inf' and 'nan' are refused below as any other word
    raw = str(text).strip()
    if len(raw) > MAX_TEXT_LENGTH:
        raise InvalidNumber(f"nombre trop long ({len(raw)} caractères ; {MAX_TEXT_LENGTH} au plus)", field)
    raw = raw.translate(_SPACES).removesuffix("€")
    if not _PLAIN_NUMBER.fullmatch(raw):
        odd = next((c for c in raw if c not in "0123456789" and unicodedata.category(c) in ("Nd", "No")), None)
        if odd is not None:
            raise InvalidNumber(f"chiffre « {odd} » refusé dans « {_shown(text)} » (chiffres 0 à 9 attendus)", field)
        if "," in raw and "." in raw:
            raise InvalidNumber(f"nombre ambigu « {_shown(text)} » (virgule et point)", field)
        raise InvalidNumber(f"« {_shown(text)} » n'est pas un nombre", field)
    return Decimal(raw.replace(",", "."))


def _decimals(value: Decimal) -> int:
    """Significant decimals: 1,50 has 1, 12 has 0, 1E+3 has 0 (no context rounding involved)."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return 0
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing)) if any(digits) else 0


def _shown(text: object) -> str:
    shown = str(text).strip()
    return shown if len(shown) <= 30 else shown[:30] + "…"
