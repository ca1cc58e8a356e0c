"""The contract's life: renewal decisions, amendments, the price revision formula, index values,
revisions and their revised prices. Append-only history: rows are added, never rewritten
(an index value entered again replaces the value, with its audit event)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from groupement.contracts.amendment_rules import Ground
from groupement.contracts.models import Contract, ContractPrice
from groupement.core.timeutil import utcnow
from groupement.core.types import Money, UnitPrice, enum_column
from groupement.extensions import db

Fraction = Numeric(5, 4, asdecimal=True)  # 0,8500
IndexValue = Numeric(12, 4, asdecimal=True)


class ContractRenewal(db.Model):
    """A decision on one renewal period: renewed or not, on a day, before its notice deadline."""

    __tablename__ = "contract_renewal"
    __table_args__ = (UniqueConstraint("contract_id", "period"), CheckConstraint("period >= 1", name="period_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    period: Mapped[int]
    renewed: Mapped[bool]
    decided_on: Mapped[date]
    deadline: Mapped[date]
    new_end: Mapped[date]  # the last day of execution after the decision
    duration_months: Mapped[int]  # the contract's duration after the decision (DECP dureeMois)
    published_on: Mapped[date | None]  # first DECP export carrying it
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    contract: Mapped[Contract] = relationship()


class ContractAmendment(db.Model):
    """An amendment (avenant): the change of the maximum and/or object, on its legal ground."""

    __tablename__ = "contract_amendment"
    __table_args__ = (
        UniqueConstraint("contract_id", "sequence"),
        CheckConstraint("sequence >= 1", name="sequence_positive"),
        CheckConstraint("maximum_after > 0", name="maximum_after_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    sequence: Mapped[int]
    notified_on: Mapped[date]
    object_change: Mapped[str] = mapped_column(Text, default="")
    amount_ht: Mapped[Decimal] = mapped_column(Money)  # + or -
    maximum_before: Mapped[Decimal] = mapped_column(Money)
    maximum_after: Mapped[Decimal] = mapped_column(Money)
    ground: Mapped[Ground] = mapped_column(enum_column(Ground, length=10))
    justification: Mapped[str] = mapped_column(Text, default="")
    duration_months: Mapped[int]  # the contract's duration on that day (DECP dureeMois)
    published_on: Mapped[date | None]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    contract: Mapped[Contract] = relationship()


class RevisionFormula(db.Model):
    """P = P0 × (fixed part + Σ weight × I/I0): one per contract."""

    __tablename__ = "revision_formula"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), unique=True)
    fixed_part: Mapped[Decimal] = mapped_column(Fraction)
    base_month: Mapped[date]  # first day of the reference month (mois zéro)
    period_months: Mapped[int] = mapped_column(default=12)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    contract: Mapped[Contract] = relationship()
    terms: Mapped[list[RevisionTerm]] = relationship(order_by="RevisionTerm.position", cascade="all, delete-orphan")


class RevisionTerm(db.Model):
    __tablename__ = "revision_term"
    __table_args__ = (
        UniqueConstraint("formula_id", "index_code"),
        CheckConstraint("weight > 0", name="weight_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    formula_id: Mapped[int] = mapped_column(ForeignKey("revision_formula.id"), index=True)
    position: Mapped[int]
    index_code: Mapped[str] = mapped_column(String(40))
    weight: Mapped[Decimal] = mapped_column(Fraction)


class PriceIndexValue(db.Model):
    """The value of an index (INSEE or other) for a month, as the coordinator entered or imported it."""

    __tablename__ = "price_index_value"
    __table_args__ = (
        UniqueConstraint("coordinator_id", "index_code", "month"),
        CheckConstraint("value > 0", name="value_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    index_code: Mapped[str] = mapped_column(String(40))
    month: Mapped[date]
    value: Mapped[Decimal] = mapped_column(IndexValue)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class PriceRevision(db.Model):
    """Revision n° k of a contract's prices, from its date; its revised prices are kept with it."""

    __tablename__ = "price_revision"
    __table_args__ = (UniqueConstraint("contract_id", "number"), CheckConstraint("number >= 1", name="number_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    number: Mapped[int]
    applies_from: Mapped[date]
    index_month: Mapped[date]
    coefficient: Mapped[Decimal] = mapped_column(Numeric(8, 4, asdecimal=True))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    computed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    prices: Mapped[list[RevisedPrice]] = relationship(cascade="all, delete-orphan")


class RevisedPrice(db.Model):
    __tablename__ = "revised_price"
    __table_args__ = (UniqueConstraint("revision_id", "contract_price_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("price_revision.id"), index=True)
    contract_price_id: Mapped[int] = mapped_column(ForeignKey("contract_price.id"), index=True)
    unit_price: Mapped[Decimal] = mapped_column(UnitPrice)

    contract_price: Mapped[ContractPrice] = relationship()
