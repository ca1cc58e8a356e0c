"""Column types shared by the models."""

from __future__ import annotations

import warnings
from decimal import Decimal

from sqlalchemy import Numeric
from sqlalchemy.exc import SAWarning

# SQLite has no DECIMAL; amounts here stay within 14 significant digits, which its REAL and
# SQLAlchemy's quantizing round trip keep exact. PostgreSQL stores NUMERIC natively.
warnings.filterwarnings("ignore", message=r".*does \*not\* support Decimal objects natively", category=SAWarning)

Money = Numeric(14, 2, asdecimal=True)
UnitPrice = Numeric(14, 4, asdecimal=True)
Rate = Numeric(5, 2, asdecimal=True)


def enum_column(enum_cls, length: int = 20):
    """Enum stored as VARCHAR with a CHECK constraint: readable in SQL, portable, migratable."""
    from sqlalchemy import Enum

    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
        create_constraint=True,
        name=enum_cls.__name__.lower(),
    )


__all__ = ["Decimal", "Money", "Rate", "UnitPrice", "enum_column"]
