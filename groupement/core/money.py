"""Money as Decimal: parsing at the boundary, quantizing at named points, exact splits."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
UNIT_PRICE_STEP = Decimal("0.0001")


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_unit_price(amount: Decimal) -> Decimal:
    return amount.quantize(UNIT_PRICE_STEP, rounding=ROUND_HALF_UP)


def parse_decimal(text: object) -> Decimal:
    """A French or international decimal written by a person: '1 234,56', '1234.56', 12.5.

    Floats are accepted only as they come out of spreadsheet cells, through their shortest
    repr, so 0.1 stays 0.1. Raises ValueError with a French message.
    """
    if isinstance(text, Decimal):
        value = text
    elif isinstance(text, bool):
        raise ValueError("nombre attendu")
    elif isinstance(text, int):
        value = Decimal(text)
    elif isinstance(text, float):
        value = Decimal(repr(text))
    else:
        raw = str(text).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        raw = raw.removesuffix("€")
        if raw.count(",") == 1 and "." not in raw:
            raw = raw.replace(",", ".")
        elif "," in raw and "." in raw:
            raise ValueError(f"nombre ambigu « {text} » (virgule et point)")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise ValueError(f"« {text} » n'est pas un nombre") from None
    if not value.is_finite():
        raise ValueError(f"« {text} » n'est pas un nombre fini")
    return value
