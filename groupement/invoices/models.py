from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from groupement.contracts.models import Contract, ContractPrice, Delivery, OrderLine
from groupement.core.search_text import search_key
from groupement.core.timeutil import utcnow
from groupement.core.types import Money, Rate, UnitPrice, enum_column
from groupement.extensions import db
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.states import CheckKind, CheckResolution, InvoiceKind, InvoiceStatus
from groupement.invoices.title_rules import TitleKind, TitleStatus
from groupement.organisations.models import Organisation
from groupement.organisations.user_models import User
from groupement.tenders.models import Supplier


class Invoice(db.Model):
    """A supplier invoice or credit note received by one coordinator. Amounts are signed: a
    credit note is negative. Its lines, checks, allocations, titles and payments reach their
    coordinator through it."""

    __tablename__ = "invoice"
    # Same coordinator, same seller, same number once normalised (case, spaces, separators left out:
    # rules.normalise_invoice_number): the same invoice (seller_key is the SIRET, else the name).
    # The board's order (newest first) as an index: a page is read without sorting them all (0034).
    __table_args__ = (
        UniqueConstraint("coordinator_id", "seller_key", "number_key"),
        Index("ix_invoice_coordinator_issue_date", "coordinator_id", "issue_date", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    number: Mapped[str] = mapped_column(String(60))
    number_key: Mapped[str] = mapped_column(String(60))
    kind: Mapped[InvoiceKind] = mapped_column(enum_column(InvoiceKind))
    type_code: Mapped[str] = mapped_column(String(3))
    status: Mapped[InvoiceStatus] = mapped_column(enum_column(InvoiceStatus), default=InvoiceStatus.IMPORTED)
    issue_date: Mapped[date]
    due_date: Mapped[date | None]
    currency: Mapped[str] = mapped_column(String(3))
    seller_key: Mapped[str] = mapped_column(String(200))
    seller_name: Mapped[str] = mapped_column(String(200))
    seller_siret: Mapped[str | None] = mapped_column(String(14))
    seller_vat: Mapped[str | None] = mapped_column(String(20))
    buyer_name: Mapped[str] = mapped_column(String(200), default="")
    buyer_siret: Mapped[str | None] = mapped_column(String(14))
    order_reference: Mapped[str | None] = mapped_column(String(60))
    # BT-10: the buyer's reference; for Chorus Pro the commune's service code (or its engagement number).
    buyer_reference: Mapped[str | None] = mapped_column(String(100))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"), index=True)
    source_format: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(255))
    total_ht: Mapped[Decimal] = mapped_column(Money)
    total_vat: Mapped[Decimal] = mapped_column(Money)
    total_ttc: Mapped[Decimal] = mapped_column(Money)
    # Factur-X / ZUGFeRD profile (MINIMUM and BASIC WL carry no lines: split only by a key, the PDF
    # is the legal document); the prepayments the invoice deducts (BT-113, signed like the totals).
    profile: Mapped[str] = mapped_column(String(20), default="")
    prepaid: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    # On a prepayment invoice (386): the final invoice that deducts it (prepayment_rules), so that
    # no two final invoices deduct the same prepayment; released when that invoice is rejected.
    deducted_by_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The match against the orders (its anomalies are known from then on: the split needs it).
    matched_at: Mapped[datetime | None]
    # A rejected invoice (status rejected): who, when and why.
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    rejected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    rejected_at: Mapped[datetime | None]
    # number + seller's name in lower case without accents (core/search_text.py), kept by the mapper
    # events below: the board's search compares it with LIKE, the same on SQLite and PostgreSQL.
    search_key: Mapped[str] = mapped_column(String(270), default="", server_default="")

    supplier: Mapped[Supplier | None] = relationship()
    contract: Mapped[Contract | None] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(back_populates="invoice", order_by="InvoiceLine.position")
    vat: Mapped[list[InvoiceVat]] = relationship(order_by="InvoiceVat.rate")
    allowances_charges: Mapped[list[InvoiceAllowanceCharge]] = relationship()
    checks: Mapped[list[InvoiceCheck]] = relationship(order_by="InvoiceCheck.id")
    rejected_by: Mapped[User | None] = relationship(foreign_keys=[rejected_by_id])

    @property
    def header_only(self) -> bool:
        """A Factur-X MINIMUM or BASIC WL invoice: its lines are the VAT rates, shared by a key."""
        return self.profile in ("MINIMUM", "BASIC WL")

    @property
    def payable(self) -> Decimal:
        """What remains to pay once the prepayments are deducted (BT-115 without the rounding)."""
        return self.total_ttc - self.prepaid

    @property
    def supplier_name(self) -> str:
        return supplier_label(self.seller_name, self.seller_siret, self.supplier.name if self.supplier else None)


def supplier_label(seller_name: str | None, seller_siret: str | None, supplier_record_name: str | None) -> str:
    """An invoice's supplier: the seller's name as the file writes it, else the supplier record's,
    else its SIRET (also for the board's rows, read as columns: invoices/pages.py)."""
    if seller_name and seller_name.strip():
        return seller_name.strip()
    if supplier_record_name and supplier_record_name.strip():
        return supplier_record_name.strip()
    return f"SIRET {seller_siret}" if seller_siret else "fournisseur sans nom"


@event.listens_for(Invoice, "before_insert")
@event.listens_for(Invoice, "before_update")
def _keep_search_key(_mapper, _connection, invoice: Invoice) -> None:
    invoice.search_key = search_key(invoice.number, invoice.seller_name)


class InvoiceVat(db.Model):
    """The VAT breakdown (BG-23): one row per category and rate (0 % exists as E, K, Z...)."""

    __tablename__ = "invoice_vat"
    __table_args__ = (UniqueConstraint("invoice_id", "category", "rate"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    category: Mapped[str] = mapped_column(String(4), default="S")
    rate: Mapped[Decimal] = mapped_column(Rate)
    base: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)


class InvoiceLine(db.Model):
    __tablename__ = "invoice_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    position: Mapped[int]
    line_id: Mapped[str] = mapped_column(String(40))
    item_ref: Mapped[str | None] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(500), default="")
    quantity: Mapped[Decimal] = mapped_column(UnitPrice)
    unit_price: Mapped[Decimal] = mapped_column(UnitPrice)
    net_amount: Mapped[Decimal] = mapped_column(Money)
    vat_category: Mapped[str] = mapped_column(String(4), default="S")
    vat_rate: Mapped[Decimal] = mapped_column(Rate)
    order_reference: Mapped[str | None] = mapped_column(String(60))
    # Resolved by matching: the commune the line belongs to and the order line it delivers.
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_line.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_item.id"))
    account: Mapped[str | None] = mapped_column(String(10))

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    commune: Mapped[Organisation | None] = relationship()
    order_line: Mapped[OrderLine | None] = relationship()


class InvoiceAllowanceCharge(db.Model):
    """A document-level charge (shipping) or allowance (discount), signed."""

    __tablename__ = "invoice_allowance_charge"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    is_charge: Mapped[bool]
    amount: Mapped[Decimal] = mapped_column(Money)
    vat_category: Mapped[str] = mapped_column(String(4), default="S")
    vat_rate: Mapped[Decimal] = mapped_column(Rate)
    reason: Mapped[str] = mapped_column(String(200), default="")


class InvoiceCheck(db.Model):
    """One check's result: arithmetic (EN 16931), identity (seller, buyer) or contract (price,
    quantity). A failed contract check is accepted with a comment or disputed."""

    __tablename__ = "invoice_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    invoice_line_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_line.id"))
    kind: Mapped[CheckKind] = mapped_column(enum_column(CheckKind))
    rule: Mapped[str] = mapped_column(String(40))
    ok: Mapped[bool]
    message: Mapped[str] = mapped_column(Text)
    resolution: Mapped[CheckResolution] = mapped_column(enum_column(CheckResolution), default=CheckResolution.OPEN)
    resolution_comment: Mapped[str] = mapped_column(Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolved_at: Mapped[datetime | None]

    resolved_by: Mapped[User | None] = relationship()


class Allocation(db.Model):
    """A commune's share of a split invoice. One split per invoice: unique (invoice, commune)."""

    __tablename__ = "allocation"
    __table_args__ = (UniqueConstraint("invoice_id", "commune_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    allocation_key: Mapped[AllocationKey] = mapped_column(enum_column(AllocationKey))
    ht: Mapped[Decimal] = mapped_column(Money)
    vat: Mapped[Decimal] = mapped_column(Money)
    ttc: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    invoice: Mapped[Invoice] = relationship()
    commune: Mapped[Organisation] = relationship()
    vat_lines: Mapped[list[AllocationVat]] = relationship(order_by="AllocationVat.rate")
    lines: Mapped[list[AllocationLine]] = relationship()


class AllocationVat(db.Model):
    __tablename__ = "allocation_vat"
    __table_args__ = (UniqueConstraint("allocation_id", "rate"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id"), index=True)
    rate: Mapped[Decimal] = mapped_column(Rate)
    base: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)


class AllocationLine(db.Model):
    """The part of one invoice line (or document charge) that went to the commune."""

    __tablename__ = "allocation_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(ForeignKey("allocation.id"), index=True)
    line_key: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(500), default="")
    account: Mapped[str | None] = mapped_column(String(10))
    vat_rate: Mapped[Decimal] = mapped_column(Rate)
    ht: Mapped[Decimal] = mapped_column(Money)
    # The trace of a line tied to an order: the order line (its order and deliveries), the
    # contract price it was checked against, the quantity and unit price invoiced.
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_line.id"), index=True)
    contract_price_id: Mapped[int | None] = mapped_column(ForeignKey("contract_price.id"))
    quantity: Mapped[Decimal | None] = mapped_column(UnitPrice)
    unit_price: Mapped[Decimal | None] = mapped_column(UnitPrice)

    order_line: Mapped[OrderLine | None] = relationship()
    contract_price: Mapped[ContractPrice | None] = relationship()


class ServiceFait(db.Model):
    """The ordering commune certifies that a delivery was received as ordered (service fait): only
    certified deliveries count for the invoices' delivery check. One certification per delivery."""

    __tablename__ = "service_fait"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("delivery.id"), unique=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    certified_at: Mapped[datetime] = mapped_column(default=utcnow)
    certified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    delivery: Mapped[Delivery] = relationship()
    certified_by: Mapped[User | None] = relationship()


class RecoveryTitle(db.Model):
    """A titre de recettes: what a commune owes the coordinator for an invoice (TTC).

    Numbered per coordinator and year from a NumberSequence row. `paid_total` is the sum of the
    title's payments, moved only by the compare-and-set UPDATE of invoices/recovery.py and
    bounded by a CHECK: the payments never exceed the title, whatever writes them. A cancelled
    title keeps its row; its counter-title (kind "cancellation", opposite amount) points to it.
    """

    __tablename__ = "recovery_title"
    __table_args__ = (
        UniqueConstraint("invoice_id", "commune_id", "kind"),  # one title and one cancellation per share
        UniqueConstraint("coordinator_id", "number"),
        CheckConstraint(
            "(amount_ttc >= 0 AND paid_total >= 0 AND paid_total <= amount_ttc)"
            " OR (amount_ttc < 0 AND paid_total <= 0 AND paid_total >= amount_ttc)",
            name="paid_within_amount",
        ),
        CheckConstraint(
            "(kind = 'title' AND cancels_id IS NULL) OR (kind = 'cancellation' AND cancels_id IS NOT NULL)",
            name="cancellation_points_to_its_title",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    number: Mapped[str] = mapped_column(String(30))
    kind: Mapped[TitleKind] = mapped_column(enum_column(TitleKind), default=TitleKind.TITLE)
    status: Mapped[TitleStatus] = mapped_column(enum_column(TitleStatus), default=TitleStatus.ISSUED)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    object: Mapped[str] = mapped_column(String(300))
    amount_ttc: Mapped[Decimal] = mapped_column(Money)
    paid_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    account: Mapped[str] = mapped_column(String(10))
    due_date: Mapped[date]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    cancels_id: Mapped[int | None] = mapped_column(ForeignKey("recovery_title.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text, default="")

    invoice: Mapped[Invoice] = relationship()
    commune: Mapped[Organisation] = relationship(foreign_keys=[commune_id])
    payments: Mapped[list[Payment]] = relationship(back_populates="title", order_by="Payment.id")
    cancels: Mapped[RecoveryTitle | None] = relationship(
        remote_side=[id], foreign_keys=[cancels_id], back_populates="cancelled_by"
    )
    cancelled_by: Mapped[RecoveryTitle | None] = relationship(foreign_keys=[cancels_id], back_populates="cancels")


class Payment(db.Model):
    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    title_id: Mapped[int] = mapped_column(ForeignKey("recovery_title.id"), index=True)
    paid_on: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(Money)
    reference: Mapped[str] = mapped_column(String(100), default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    title: Mapped[RecoveryTitle] = relationship(back_populates="payments")


class NumberSequence(db.Model):
    """The last number given for a kind of document, per coordinator and year (TR-2026-00042:
    last = 42). Taken by an atomic UPDATE … SET last = last + n (invoices/recovery.py), never by
    counting rows: two accountants issuing titles at once get distinct, consecutive numbers."""

    __tablename__ = "number_sequence"
    __table_args__ = (
        UniqueConstraint("coordinator_id", "kind", "year"),
        CheckConstraint("last >= 0", name="last_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    kind: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    last: Mapped[int] = mapped_column(default=0)


class InvoiceBatch(db.Model):
    """A zip (web upload) or a folder (CLI) of invoices imported by one job (invoices/batch_job.py):
    the bytes received, kept in the database so that any worker reads them, and the report, one line
    per file (read, duplicate, refused with its reasons) once the job is done."""

    __tablename__ = "invoice_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    file_name: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    report: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
