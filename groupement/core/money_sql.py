"""The SQL twin of core/money.line_amount, for totals a database sums without loading the lines.

`line_cents(quantity, unit_price)` is the amount of one line in whole cents, rounded half up as
`money.line_amount` rounds it, and exact on SQLite as on PostgreSQL: the unit price (four decimals,
core/types.UnitPrice) becomes whole ten-thousandths, the product stays a whole number, and the half-up
rounding to the cent is an integer division (amounts here are never negative: CHECK constraints).
SQLite keeps NUMERIC as a double, so `round(price * 10000)` brings it back to the integer it stands
for before anything is multiplied. `money.from_cents` turns a sum of these back into euros.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ColumnElement, cast, func

TEN_THOUSANDTHS_PER_UNIT = 10_000
TEN_THOUSANDTHS_PER_CENT = 100
HALF_A_CENT = TEN_THOUSANDTHS_PER_CENT // 2


def line_cents(quantity: ColumnElement, unit_price: ColumnElement) -> ColumnElement[int]:
    """quantity × unit price in whole cents, half up: SUM() of it is the sum of the lines' amounts."""
    ten_thousandths = cast(func.round(unit_price * TEN_THOUSANDTHS_PER_UNIT), BigInteger)
    return (cast(quantity, BigInteger) * ten_thousandths + HALF_A_CENT) // TEN_THOUSANDTHS_PER_CENT


def money_cents(amount: ColumnElement) -> ColumnElement[int]:
    """A money column (two decimals, core/types.Money) in whole cents: SUM() of it is exact on
    SQLite, which keeps NUMERIC as a double, as on PostgreSQL; money.from_cents turns it back."""
    return cast(func.round(amount * 100), BigInteger)
