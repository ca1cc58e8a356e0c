"""Suppliers, award criteria and offers: the tender side of a published lot."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from groupement.core.search_text import search_key
from groupement.core.timeutil import utcnow
from groupement.core.types import Money, Rate, UnitPrice, enum_column
from groupement.extensions import db
from groupement.lots.models import Lot, LotLine
from groupement.tenders.rules import OfferSource


class Supplier(db.Model):
    """A bidder or contract holder (titulaire) of one coordinator. Suppliers have no login.

    Each coordinator keeps its own supplier file: the same company (one SIRET) may be a supplier
    of two coordinators, each seeing only its own row (DESIGN.md §3.4)."""

    __tablename__ = "supplier"
    __table_args__ = (UniqueConstraint("coordinator_id", "siret"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    siret: Mapped[str] = mapped_column(String(14))
    vat_number: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # name + SIRET in lower case without accents (core/search_text.py), kept by the mapper events
    # below: the suppliers' search compares it with LIKE, the same on SQLite and PostgreSQL.
    search_key: Mapped[str] = mapped_column(String(220), default="", server_default="")


@event.listens_for(Supplier, "before_insert")
@event.listens_for(Supplier, "before_update")
def _keep_search_key(_mapper, _connection, supplier: Supplier) -> None:
    supplier.search_key = search_key(supplier.name, supplier.siret)


class AwardCriteria(db.Model):
    """The weights published in the consultation rules of a lot (they sum to 100)."""

    __tablename__ = "award_criteria"
    __table_args__ = (
        CheckConstraint("price_weight + technical_weight + environmental_weight = 100", name="weights_sum_to_100"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), unique=True)
    price_weight: Mapped[Decimal] = mapped_column(Rate)
    technical_weight: Mapped[Decimal] = mapped_column(Rate)
    environmental_weight: Mapped[Decimal] = mapped_column(Rate)
    # Below this share of the reference (mean of the other offers), an offer is flagged as
    # possibly abnormally low: to be investigated, never rejected automatically.
    abnormally_low_percent: Mapped[Decimal] = mapped_column(Rate, default=Decimal("70"))

    lot: Mapped[Lot] = relationship()


class Offer(db.Model):
    __tablename__ = "offer"
    __table_args__ = (UniqueConstraint("lot_id", "supplier_id", "is_variant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    is_variant: Mapped[bool] = mapped_column(default=False)
    source: Mapped[OfferSource] = mapped_column(enum_column(OfferSource))
    file_name: Mapped[str] = mapped_column(String(255), default="")
    total_ht: Mapped[Decimal] = mapped_column(Money)  # recomputed from unit prices × quantities
    declared_total_ht: Mapped[Decimal | None] = mapped_column(Money)  # as written by the bidder
    technical_score: Mapped[Decimal | None] = mapped_column(Rate)
    technical_justification: Mapped[str] = mapped_column(Text, default="")
    environmental_score: Mapped[Decimal | None] = mapped_column(Rate)
    environmental_justification: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    lot: Mapped[Lot] = relationship()
    supplier: Mapped[Supplier] = relationship()
    lines: Mapped[list[OfferLine]] = relationship(back_populates="offer", cascade="all, delete-orphan")


class OfferLine(db.Model):
    __tablename__ = "offer_line"
    __table_args__ = (
        UniqueConstraint("offer_id", "lot_line_id"),
        CheckConstraint("unit_price >= 0 AND eco_participation >= 0", name="prices_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"), index=True)
    lot_line_id: Mapped[int] = mapped_column(ForeignKey("lot_line.id"), index=True)
    unit_price: Mapped[Decimal] = mapped_column(UnitPrice)
    eco_participation: Mapped[Decimal] = mapped_column(UnitPrice, default=Decimal("0"))
    line_total_ht: Mapped[Decimal] = mapped_column(Money)

    offer: Mapped[Offer] = relationship(back_populates="lines")
    lot_line: Mapped[LotLine] = relationship()
