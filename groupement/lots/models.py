from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from groupement.campaigns.models import Campaign
from groupement.core.search_text import NAME_KEY_LENGTH, name_key
from groupement.core.timeutil import utcnow
from groupement.core.types import Money, Rate, UnitPrice, enum_column
from groupement.extensions import db
from groupement.lots.rules import DEFAULT_DURATION_MONTHS, DEFAULT_MARGIN_PERCENT, Ccag, LotStatus
from groupement.organisations.families import Family
from groupement.organisations.models import Organisation


class Lot(db.Model):
    __tablename__ = "lot"
    __table_args__ = (
        UniqueConstraint("campaign_id", "number"),
        CheckConstraint("duration_months BETWEEN 1 AND 48", name="duration_at_most_four_years"),
        CheckConstraint("maximum_amount IS NULL OR maximum_amount > 0", name="maximum_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    family: Mapped[Family] = mapped_column(enum_column(Family))
    status: Mapped[LotStatus] = mapped_column(enum_column(LotStatus), default=LotStatus.DRAFT)
    duration_months: Mapped[int] = mapped_column(default=DEFAULT_DURATION_MONTHS)
    margin_percent: Mapped[Decimal] = mapped_column(Rate, default=DEFAULT_MARGIN_PERCENT)
    # None until the officer sets it: the default maximum (estimate + margin) applies.
    maximum_amount: Mapped[Decimal | None] = mapped_column(Money)
    launch_date: Mapped[date | None]  # planned launch of the consultation: selects the thresholds
    # Recorded for the open data (DECP): the clauses of the consultation (edited on the lot's page);
    # the award criteria (tenders.AwardCriteria) give the "critère" considerations.
    social_clause: Mapped[bool] = mapped_column(default=False)  # clause sociale (insertion…)
    environmental_clause: Mapped[bool] = mapped_column(default=False)  # clause environnementale
    # The title in lower case without accents (core/search_text.py), kept by the mapper events
    # below: the searches compare it with LIKE, the same on SQLite and PostgreSQL.
    search_key: Mapped[str] = mapped_column(String(NAME_KEY_LENGTH), default="", server_default="")
    reserved_market: Mapped[bool] = mapped_column(default=False)  # marché réservé (L2113-12 à L2113-15)
    ccag: Mapped[Ccag] = mapped_column(enum_column(Ccag, length=60), default=Ccag.FOURNITURES_COURANTES_SERVICES)
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    campaign: Mapped[Campaign] = relationship()
    lines: Mapped[list[LotLine]] = relationship(back_populates="lot", order_by="LotLine.position")


@event.listens_for(Lot, "before_insert")
@event.listens_for(Lot, "before_update")
def _keep_search_key(_mapper, _connection, lot: Lot) -> None:
    lot.search_key = name_key(lot.title)


class LotLine(db.Model):
    """An item of a lot, frozen at aggregation: designation, unit, CPV and prices are copies,
    so that later catalog or needs changes cannot alter a lot."""

    __tablename__ = "lot_line"
    __table_args__ = (
        # One line per item and campaign: aggregation makes one, moves keep it; the database guards it.
        UniqueConstraint("campaign_id", "item_id"),
        CheckConstraint("total_quantity >= 0", name="quantity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), index=True)
    # Denormalised from the lot (lot.campaign_id) so that the unique (campaign, item) can exist;
    # that index also serves the campaign's lookups.
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_item.id"))
    line_key: Mapped[str] = mapped_column(String(24), unique=True)  # stable id for bidders' files
    position: Mapped[int]
    ref: Mapped[str] = mapped_column(String(40))
    designation: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(40))
    cpv_code: Mapped[str] = mapped_column(String(10))
    account: Mapped[str] = mapped_column(String(10))
    vat_rate: Mapped[Decimal] = mapped_column(Rate)
    estimated_unit_price: Mapped[Decimal] = mapped_column(UnitPrice)
    eco_participation: Mapped[Decimal] = mapped_column(UnitPrice)
    total_quantity: Mapped[int]
    excluded_reason: Mapped[str | None] = mapped_column(String(500))

    lot: Mapped[Lot] = relationship(back_populates="lines")
    shares: Mapped[list[LotLineShare]] = relationship(back_populates="line", order_by="LotLineShare.commune_id")


class LotLineShare(db.Model):
    """How much of a lot line each commune asked for: the trace back to the needs."""

    __tablename__ = "lot_line_share"
    __table_args__ = (
        UniqueConstraint("lot_line_id", "commune_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_line_id: Mapped[int] = mapped_column(ForeignKey("lot_line.id"))  # led by the unique index above
    commune_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    quantity: Mapped[int]

    line: Mapped[LotLine] = relationship(back_populates="shares")
    commune: Mapped[Organisation] = relationship()
