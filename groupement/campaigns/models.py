from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from groupement.campaigns.rules import CampaignStatus, SubmissionStatus
from groupement.catalog.models import CatalogItem
from groupement.core.timeutil import utcnow
from groupement.core.types import enum_column
from groupement.extensions import db
from groupement.organisations.models import Groupement, Organisation
from groupement.organisations.user_models import User


class Campaign(db.Model):
    """A recensement des besoins: communes enter quantities of the included items until closes_at."""

    __tablename__ = "campaign"
    __table_args__ = (CheckConstraint("opens_at < closes_at", name="opens_before_closing"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    groupement_id: Mapped[int] = mapped_column(ForeignKey("groupement.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    year: Mapped[int]
    instructions: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[datetime]  # UTC
    closes_at: Mapped[datetime]  # UTC
    status: Mapped[CampaignStatus] = mapped_column(enum_column(CampaignStatus), default=CampaignStatus.DRAFT)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    groupement: Mapped[Groupement] = relationship()
    items: Mapped[list[CampaignItem]] = relationship(back_populates="campaign", cascade="all, delete-orphan")


class CampaignItem(db.Model):
    __tablename__ = "campaign_item"
    __table_args__ = (UniqueConstraint("campaign_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_item.id"), index=True)

    campaign: Mapped[Campaign] = relationship(back_populates="items")
    item: Mapped[CatalogItem] = relationship()


class Submission(db.Model):
    """One commune's answer to one campaign: its need lines and their workflow state."""

    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("campaign_id", "commune_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[SubmissionStatus] = mapped_column(enum_column(SubmissionStatus), default=SubmissionStatus.DRAFT)
    # Set by the coordinator after the deadline; entry is allowed again until the next submission.
    reopened: Mapped[bool] = mapped_column(default=False)
    comment: Mapped[str] = mapped_column(Text, default="")  # last send-back or reopen reason
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime | None]
    validated_at: Mapped[datetime | None]

    campaign: Mapped[Campaign] = relationship()
    commune: Mapped[Organisation] = relationship()
    updated_by: Mapped[User | None] = relationship()
    lines: Mapped[list[NeedLine]] = relationship(back_populates="submission")


class NeedLine(db.Model):
    """A quantity of one item for one commune. `version` detects concurrent edits: the ORM
    writes it as a compare-and-set (version_id_col)."""

    __tablename__ = "need_line"
    __table_args__ = (
        UniqueConstraint("submission_id", "item_id"),
        CheckConstraint("quantity >= 0 AND quantity <= 1000000", name="quantity_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_item.id"), index=True)
    quantity: Mapped[int]
    comment: Mapped[str] = mapped_column(String(500), default="")
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    # Compare-and-set: every ORM UPDATE says `WHERE id = :id AND version = :seen`, sets
    # version = seen + 1, and raises StaleDataError when no row matched (campaigns/grid.py).
    __mapper_args__ = {"version_id_col": version}

    submission: Mapped[Submission] = relationship(back_populates="lines")
    item: Mapped[CatalogItem] = relationship()
    updated_by: Mapped[User | None] = relationship()


class PendingUpload(db.Model):
    """A checked .xlsx awaiting the agent's confirmation: kept in the database, not in a
    server's memory, so that any app server can confirm it."""

    __tablename__ = "pending_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    file_name: Mapped[str] = mapped_column(String(255))
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class ReceivedNeedsFile(db.Model):
    """A large needs file as uploaded, awaiting its check by a job (campaigns/needs_import_job.py):
    in the database, so that any worker reads it. Removed once checked (the PendingUpload then
    holds what it changes); kept after a failed check so that the retry reads it again, and
    replaced by the agent's next upload."""

    __tablename__ = "received_needs_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    file_name: Mapped[str] = mapped_column(String(255))
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the content: a double click is one job
    content: Mapped[bytes] = mapped_column(LargeBinary)


class CampaignReminder(db.Model):
    """The last reminder of one commune for one campaign (the history is in the audit trail).

    One row per (campaign, commune): the reminder is claimed by inserting it, or by a
    compare-and-set UPDATE on `sent_at` once the interval has passed (campaigns/reminders.py),
    so two presses of the button send one message."""

    __tablename__ = "campaign_reminder"
    __table_args__ = (UniqueConstraint("campaign_id", "commune_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    sent_at: Mapped[datetime]  # UTC
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: the cron
    # False: MAIL_SERVER was empty, the message was only written to the log (development).
    delivered: Mapped[bool]
