"""Column types shared by the models."""

from __future__ import annotations

import warnings
from decimal import Decimal

from sqlalchemy import Numeric, String
from sqlalchemy.exc import SAWarning
from sqlalchemy.types import TypeDecorator

from groupement.domain.families import Family, format_families, parse_families

# SQLite has no DECIMAL; amounts here stay within 14 significant digits, which its REAL and
# SQLAlchemy's quantizing round trip keep exact. PostgreSQL stores NUMERIC natively.
warnings.filterwarnings("ignore", message=r".*does \*not\* support Decimal objects natively", category=SAWarning)

Money = Numeric(14, 2, asdecimal=True)
UnitPrice = Numeric(14, 4, asdecimal=True)
Rate = Numeric(5, 2, asdecimal=True)


class FamilySet(TypeDecorator):
    """A set of purchasing families, stored as sorted comma-separated text (portable)."""

    impl = String(80)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return format_families(frozenset(Family(v) for v in value))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return parse_families(value)


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


__all__ = ["Decimal", "FamilySet", "Money", "Rate", "UnitPrice", "enum_column"]
