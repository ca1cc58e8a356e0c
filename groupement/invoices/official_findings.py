"""The official EN 16931 result of each imported invoice (einvoice.official_rules), stored with it:
one OfficialCheck per invoice (which rules, the outcome, the rules that held) and its findings.

A fatal finding blocks the split and cannot be accepted with a comment, unlike the app's own
anomalies (matching.blocking_checks): the official rules say the document is not a valid EN 16931
invoice, so what would be accepted is a document the supplier must correct and send again (a
corrected invoice or a credit note and a new invoice); the accountant rejects it with its reason.
Warnings are shown and never block. A check that could not run (validator unavailable) is shown
with its reason and does not block: the app's own checks have run, and blocking every invoice
because a helper process failed would stop the whole intake."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.invoices.einvoice.official_rules import ARTEFACTS, OfficialResult
from groupement.invoices.models import Invoice
from groupement.invoices.states import InvoiceStatus


class OfficialCheck(db.Model):
    __tablename__ = "invoice_official_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), unique=True)
    artefact: Mapped[str] = mapped_column(String(40), default="")  # official_rules.ARTEFACTS key
    outcome: Mapped[str] = mapped_column(String(20))  # valid, invalid, unavailable, not_applicable
    message: Mapped[str] = mapped_column(Text, default="")
    passed: Mapped[str] = mapped_column(Text, default="")  # the rule ids that held, space-separated
    truncated: Mapped[bool] = mapped_column(default=False)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)

    findings: Mapped[list[OfficialFinding]] = relationship(
        order_by="OfficialFinding.position", cascade="all, delete-orphan"
    )

    @property
    def title(self) -> str:
        return ARTEFACTS[self.artefact].title if self.artefact in ARTEFACTS else ""

    @property
    def fatal(self) -> list[OfficialFinding]:
        return [f for f in self.findings if f.fatal]

    @property
    def warnings(self) -> list[OfficialFinding]:
        return [f for f in self.findings if not f.fatal]

    @property
    def passed_rules(self) -> list[str]:
        return self.passed.split()


class OfficialFinding(db.Model):
    __tablename__ = "invoice_official_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("invoice_official_check.id"), index=True)
    position: Mapped[int]
    rule: Mapped[str] = mapped_column(String(60))
    fatal: Mapped[bool]
    location: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text, default="")


def record(invoice_id: int, result: OfficialResult) -> OfficialCheck:
    """Store the result for a newly imported invoice (flushes, never commits)."""
    check = OfficialCheck(
        invoice_id=invoice_id,
        artefact=result.artefact,
        outcome=result.outcome,
        message=result.message,
        passed=" ".join(result.passed),
        truncated=result.truncated,
        findings=[
            OfficialFinding(position=i, rule=f.rule, fatal=f.fatal, location=f.location, message=f.message)
            for i, f in enumerate(result.findings, start=1)
        ],
    )
    db.session.add(check)
    db.session.flush()
    return check


def official_check(invoice_id: int) -> OfficialCheck | None:
    """The invoice's official check (the caller has reached the invoice through its scope)."""
    return db.session.scalar(select(OfficialCheck).where(OfficialCheck.invoice_id == invoice_id))


def official_blockers(invoice_id: int) -> list[str]:
    """Why the official rules block the split, in French (empty: they do not)."""
    check = official_check(invoice_id)
    if check is None:
        return []
    return [
        f"Règle officielle {f.rule} (bloquante, à corriger par le fournisseur : rejetez la facture) : {f.message}"
        for f in check.fatal
    ]


def officially_blocked_ids():
    """SELECT of the ids of the invoices not split yet that a fatal official finding blocks."""
    return (
        select(OfficialCheck.invoice_id)
        .join(OfficialFinding, OfficialFinding.check_id == OfficialCheck.id)
        .join(Invoice, Invoice.id == OfficialCheck.invoice_id)
        .where(
            OfficialFinding.fatal.is_(True),
            Invoice.status.in_((InvoiceStatus.IMPORTED, InvoiceStatus.CHECKED, InvoiceStatus.DISPUTED)),
        )
        .distinct()
    )
