from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from groupement.domain.contracts import AwardDecision, OfferSource
from groupement.extensions import db
from groupement.models.organisations import Organisation
from groupement.models.tenders import Lot, LotLine
from groupement.models.types import Money, Rate, UnitPrice, enum_column
from groupement.models.users import User
from groupement.timeutil import utcnow


class Supplier(db.Model):
    """A bidder or contract holder (titulaire). Suppliers have no login."""

    __tablename__ = "supplier"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    siret: Mapped[str] = mapped_column(String(14), unique=True)
    vat_number: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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


class Award(db.Model):
    """The decision on a lot: awarded to an offer, or unsuccessful."""

    __tablename__ = "award"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), unique=True)
    decision: Mapped[AwardDecision] = mapped_column(enum_column(AwardDecision))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offer.id"))
    # Mandatory when the chosen offer is not the best ranked, or when unsuccessful.
    justification: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    lot: Mapped[Lot] = relationship()
    offer: Mapped[Offer | None] = relationship()


class Contract(db.Model):
    """The framework agreement with purchase orders (accord-cadre à bons de commande)."""

    __tablename__ = "contract"
    __table_args__ = (
        CheckConstraint("maximum_amount > 0", name="maximum_positive"),
        CheckConstraint("duration_months BETWEEN 1 AND 48", name="duration_at_most_four_years"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)  # also the DECP id
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), unique=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("award.id"), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    maximum_amount: Mapped[Decimal] = mapped_column(Money)
    start_date: Mapped[date]
    duration_months: Mapped[int]
    notified_on: Mapped[date]
    procedure: Mapped[str] = mapped_column(String(80))  # as named by DECP
    offers_received: Mapped[int]
    # For vehicles (DECP): share of the value of EU and French origin, in per cent.
    origin_eu_percent: Mapped[Decimal | None] = mapped_column(Rate)
    origin_france_percent: Mapped[Decimal | None] = mapped_column(Rate)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lot: Mapped[Lot] = relationship()
    award: Mapped[Award] = relationship()
    supplier: Mapped[Supplier] = relationship()
    prices: Mapped[list[ContractPrice]] = relationship(back_populates="contract")


class ContractPrice(db.Model):
    """A unit price of the contract, from the awarded offer; orders can only use these."""

    __tablename__ = "contract_price"
    __table_args__ = (UniqueConstraint("contract_id", "lot_line_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    lot_line_id: Mapped[int] = mapped_column(ForeignKey("lot_line.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_item.id"), index=True)
    unit_price: Mapped[Decimal] = mapped_column(UnitPrice)
    eco_participation: Mapped[Decimal] = mapped_column(UnitPrice)
    vat_rate: Mapped[Decimal] = mapped_column(Rate)

    contract: Mapped[Contract] = relationship(back_populates="prices")
    lot_line: Mapped[LotLine] = relationship()


class Order(db.Model):
    """A purchase order (bon de commande) of a commune under a contract."""

    __tablename__ = "purchase_order"
    __table_args__ = (UniqueConstraint("commune_id", "year", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    year: Mapped[int]
    sequence: Mapped[int]
    delivery_address: Mapped[str] = mapped_column(Text)
    total_ht: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    contract: Mapped[Contract] = relationship()
    commune: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", cascade="all, delete-orphan")


class OrderLine(db.Model):
    __tablename__ = "order_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    contract_price_id: Mapped[int] = mapped_column(ForeignKey("contract_price.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_item.id"), index=True)
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(UnitPrice)  # copied from the contract
    eco_participation: Mapped[Decimal] = mapped_column(UnitPrice)
    vat_rate: Mapped[Decimal] = mapped_column(Rate)
    amount_ht: Mapped[Decimal] = mapped_column(Money)

    order: Mapped[Order] = relationship(back_populates="lines")
    contract_price: Mapped[ContractPrice] = relationship()
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="order_line")


class Delivery(db.Model):
    """Service fait: a quantity received on a date; partial deliveries add up."""

    __tablename__ = "delivery"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"), index=True)
    delivered_on: Mapped[date]
    quantity: Mapped[int]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    order_line: Mapped[OrderLine] = relationship(back_populates="deliveries")
