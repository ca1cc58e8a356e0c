"""The supplier space (issue 17): supplier accounts, acknowledgments of orders, deliveries the
supplier declares, and the communes' baskets of the shop."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from groupement.contracts.models import ContractPrice, Delivery, Order
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.organisations.user_models import User
from groupement.tenders.models import Supplier


class SupplierUser(db.Model):
    """A user of a supplier record (role Role.SUPPLIER): one record per user, several users per
    record. The user's organisation is the coordinator that keeps the record."""

    __tablename__ = "supplier_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    supplier: Mapped[Supplier] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class OrderAcknowledgment(db.Model):
    """The supplier's acknowledgment of an order (accusé de réception), once per order (unique),
    with the delivery date it announces; `version` for the compare-and-set of that date."""

    __tablename__ = "order_acknowledgment"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), unique=True)
    acknowledged_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    planned_delivery_on: Mapped[date | None]
    version: Mapped[int] = mapped_column(default=1)

    order: Mapped[Order] = relationship()

    __mapper_args__ = {"version_id_col": version}


class DeclaredDelivery(db.Model):
    """A delivery the supplier declared (« déclarée par le fournisseur »): the commune still
    certifies it (invoices/service_fait.py); until then it is not invoiceable."""

    __tablename__ = "declared_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("delivery.id"), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)

    delivery: Mapped[Delivery] = relationship()


class BasketLine(db.Model):
    """A line of a commune user's basket in the shop, kept in the database (not the session)."""

    __tablename__ = "basket_line"
    __table_args__ = (
        UniqueConstraint("user_id", "contract_price_id"),
        CheckConstraint("quantity > 0", name="basket_quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    contract_price_id: Mapped[int] = mapped_column(ForeignKey("contract_price.id"))
    quantity: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    contract_price: Mapped[ContractPrice] = relationship()
