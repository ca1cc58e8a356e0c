from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, String, event, text
from sqlalchemy.orm import Mapped, mapped_column

from groupement.catalog.rules import SEARCH_KEY_LENGTH, search_key
from groupement.core.timeutil import utcnow
from groupement.core.types import Rate, UnitPrice, enum_column
from groupement.extensions import db
from groupement.organisations.families import Family


class CatalogItem(db.Model):
    __tablename__ = "catalog_item"
    __table_args__ = (
        CheckConstraint("unit_price_ht >= 0", name="unit_price_not_negative"),
        CheckConstraint("eco_participation >= 0", name="eco_participation_not_negative"),
        CheckConstraint("vat_rate >= 0 AND vat_rate < 100", name="vat_rate_range"),
        # The needs grid's order (campaigns/grid_page._grid_order), one index per database
        # (migrations 0035 and 0036): a page walks it and stops at the page's end instead of
        # sorting the campaign's 5 000 items at every GET. The CASE must stay the query's (a new
        # Family means a new migration). PostgreSQL's is written as PostgreSQL prints it back,
        # so that the schema check (alembic) finds it equal, and its collation goes through
        # postgresql_ops for the same reason (reflection drops it). SQLite's (same name, same
        # expression) is migration 0036's alone: declared here too, alembic would compare it on
        # PostgreSQL under the same name, and it cannot read SQLite's expression indexes anyway.
        Index(
            "ix_catalog_item_grid_order",
            text(
                "(\nCASE family\n"
                + "".join(f"    WHEN '{family.value}' THEN {index}\n" for index, family in enumerate(Family))
                + "    ELSE NULL\nEND)"
            ),
            "ref",
            postgresql_ops={"ref": 'COLLATE "C"'},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    designation: Mapped[str] = mapped_column(String(300))
    family: Mapped[Family] = mapped_column(enum_column(Family), index=True)
    cpv_code: Mapped[str] = mapped_column(String(10))
    unit: Mapped[str] = mapped_column(String(40))
    unit_price_ht: Mapped[Decimal] = mapped_column(UnitPrice)
    vat_rate: Mapped[Decimal] = mapped_column(Rate)
    eco_participation: Mapped[Decimal] = mapped_column(UnitPrice, default=Decimal("0"))
    account: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # designation + ref in lower case without accents (catalog.rules.search_key), kept by the
    # mapper events below: searches compare it with LIKE, the same on SQLite and PostgreSQL.
    search_key: Mapped[str] = mapped_column(String(SEARCH_KEY_LENGTH), default="")


@event.listens_for(CatalogItem, "before_insert")
@event.listens_for(CatalogItem, "before_update")
def _keep_search_key(_mapper, _connection, item: CatalogItem) -> None:
    item.search_key = search_key(item.designation, item.ref)
