"""Money as Decimal: parsing at the boundary, rounding at named points. The only module that
rounds: a test fails if `.quantize(` appears anywhere else in the package.

Named points, all ROUND_HALF_UP (the French commercial rule) unless the name says otherwise:
- `to_cents`: any amount in euros that is stored, printed or compared (totals, shares);
- `line_amount`: quantity × unit price of an order, offer, invoice or estimate line;
- `vat_amount`: the VAT of one base at one rate (EN 16931: once per rate, not per line);
- `to_unit_price`: unit prices keep four decimals;
- `round_half_up(value, step)`: non-money figures (scores, percentages, ratios, chart geometry);
- `cents_down`, `ceiling`: the two deliberate exceptions (largest remainder, lot maximum).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
UNIT_PRICE_STEP = Decimal("0.0001")
QUANTITY_STEP = Decimal("0.0001")
HUNDRED = Decimal(100)


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def from_cents(cents: int | Decimal | None) -> Decimal:
    """Whole cents (a SQL sum of core/money_sql.line_cents) as euros: 123456 → 1234.56, exactly."""
    return Decimal(int(cents or 0)) / HUNDRED


def to_unit_price(amount: Decimal) -> Decimal:
    return amount.quantize(UNIT_PRICE_STEP, rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal | int, unit_price: Decimal) -> Decimal:
    """The amount of one line: quantity × unit price, to the cent."""
    return to_cents(Decimal(quantity) * unit_price)


def vat_amount(base: Decimal, rate_percent: Decimal) -> Decimal:
    """The VAT of one taxable base at one rate (in per cent), to the cent. `+ 0` turns -0 into 0."""
    return to_cents(base * rate_percent / HUNDRED) + 0


def round_half_up(value: Decimal, step: Decimal) -> Decimal:
    """A figure that is not an amount (a score, a percentage, a ratio, a coordinate), to `step`."""
    return value.quantize(step, rounding=ROUND_HALF_UP)


def cents_down(value: Decimal) -> Decimal:
    """Truncated to the cent: the first step of a largest-remainder split."""
    return value.quantize(CENT, rounding=ROUND_DOWN)


def ceiling(value: Decimal, step: Decimal = Decimal(1)) -> Decimal:
    """Rounded up to `step`: a maximum must never fall short of what it covers."""
    return value.quantize(step, rounding=ROUND_CEILING)


def has_at_most(value: Decimal, step: Decimal) -> bool:
    """True when `value` needs no digit beyond `step` (0,5 has at most cents; 0,005 has not)."""
    return value == value.quantize(step, rounding=ROUND_HALF_UP)


def exactly(value: Decimal, step: Decimal) -> Decimal:
    """`value` written with the digits of `step` (1,5 → 1,50); for values that `has_at_most` step."""
    if not has_at_most(value, step):
        raise ValueError(f"{value} a plus de décimales que {step}")
    return value.quantize(step, rounding=ROUND_HALF_UP)


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
