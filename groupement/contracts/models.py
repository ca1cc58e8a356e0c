"""Awards, framework contracts and their prices, purchase orders and deliveries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from groupement.contracts.order_rules import ExecutionPeriod
from groupement.contracts.rules import AwardDecision, ContractNature, PriceType
from groupement.core.timeutil import utcnow
from groupement.core.types import Money, Rate, UnitPrice, enum_column
from groupement.extensions import db
from groupement.lots.models import Lot, LotLine
from groupement.organisations.models import Organisation
from groupement.organisations.user_models import User
from groupement.tenders.models import Offer, Supplier


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
        CheckConstraint(
            "renewal_count >= 0 AND renewal_months BETWEEN 1 AND 48 AND notice_months BETWEEN 0 AND 12 "
            "AND renewed_periods BETWEEN 0 AND renewal_count "
            "AND duration_months + renewal_count * renewal_months <= 48",
            name="renewals_within_four_years",
        ),
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
    # DECP: the price type (typesPrix), and the day its essential data were first exported (kept
    # after: datePublicationDonnees is the first publication, never updated).
    price_type: Mapped[PriceType] = mapped_column(enum_column(PriceType, length=30), default=PriceType.FERME)
    # Supplies, services or works (the amendments' limits); the groupement buys supplies by default.
    nature: Mapped[ContractNature] = mapped_column(
        enum_column(ContractNature), default=ContractNature.FOURNITURES, server_default=ContractNature.FOURNITURES.value
    )
    first_published_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Renewals (contracts/renewal_rules.py): up to renewal_count periods of renewal_months, decided
    # at the latest notice_months before each; renewed_periods moves the end, renewals_closed is a
    # decision not to renew. The history is contract_renewal (life_models.py).
    renewal_count: Mapped[int] = mapped_column(default=0, server_default="0")
    renewal_months: Mapped[int] = mapped_column(default=12, server_default="12")
    notice_months: Mapped[int] = mapped_column(default=3, server_default="3")
    renewed_periods: Mapped[int] = mapped_column(default=0, server_default="0")
    renewals_closed: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The maximum at notification, kept at the first amendment (maximum_amount is then the new one).
    initial_maximum_amount: Mapped[Decimal | None] = mapped_column(Money)

    lot: Mapped[Lot] = relationship()
    award: Mapped[Award] = relationship()
    supplier: Mapped[Supplier] = relationship()
    prices: Mapped[list[ContractPrice]] = relationship(back_populates="contract")

    @property
    def execution_period(self) -> ExecutionPeriod:
        """From the start of execution to its end (start + duration + renewed periods); orders only within it."""
        return ExecutionPeriod.of(self.number, self.notified_on, self.start_date, self.current_duration_months)

    @property
    def current_duration_months(self) -> int:
        return self.duration_months + (self.renewed_periods or 0) * (self.renewal_months or 0)

    @property
    def initial_maximum(self) -> Decimal:
        return self.maximum_amount if self.initial_maximum_amount is None else self.initial_maximum_amount


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
    # The commune's numéro d'engagement juridique (its accounting), optional, printed on the order.
    engagement_number: Mapped[str] = mapped_column(String(50), default="", server_default="")
    # Why the prices are not revised when a revision was due (contracts/revision_rules.py), or "".
    price_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    ordered_on: Mapped[date | None]  # the Paris day the order was placed (its prices are that day's)
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


class RejectionSending(db.Model):
    """The rejection letters of a lot sent to the unsuccessful bidders, naming the offer to be
    retained: their sending date starts the standstill period (tenders/standstill.py), the end of
    which the award's notification waits for. Recorded once per lot."""

    __tablename__ = "rejection_sending"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), unique=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"))  # the offer to be retained
    justification: Mapped[str] = mapped_column(Text, default="")  # when not the best ranked
    sent_on: Mapped[date]
    electronic: Mapped[bool] = mapped_column(default=True)
    standstill_required: Mapped[bool] = mapped_column(default=True)
    standstill_days: Mapped[int] = mapped_column(default=0)  # 0 when not required
    standstill_last_day: Mapped[date | None]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    lot: Mapped[Lot] = relationship()
    offer: Mapped[Offer] = relationship()
