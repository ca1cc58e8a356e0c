"""Batch intake as a job: a zip (web upload) or a folder (CLI) of invoices, each file imported by
import_invoice, one line per file in the report (lue, doublon, refusée with its reasons).

Nothing half-imported: each file is imported in its own savepoint, so a refused file writes
nothing (its savepoint rolls back), and the job's unit of work commits the read ones together at
the end; a job that fails or is interrupted (worker killed) writes none of them, and its retry
starts from the stored archive again. A duplicate within the batch (the same invoice twice) is
seen as such, the first one having been flushed in the same transaction.

The archive is kept in `invoice_batch` (any worker reads it, no local file); the report is stored
on the batch, shown on its page (/factures/lots/<id>) and downloadable as .xlsx (the job's result)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.orm import defer

from groupement.core import transaction
from groupement.core.access import COORDINATOR_SIDE_ROLES, Actor
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.files.xlsx import XLSX_MIMETYPE
from groupement.core.jobs import Job, JobKind, JobResult, Progress, register, start_job
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.invoices import batch as archive_rules
from groupement.invoices import scope as invoice_scope
from groupement.invoices.batch_report import DUPLICATE, READ, REFUSED, ReportLine, report_xlsx
from groupement.invoices.importing import InvoiceDuplicate, InvoiceRejected, import_invoice
from groupement.invoices.matching import blocking_checks
from groupement.invoices.models import InvoiceBatch
from groupement.invoices.scope import ACCOUNTING_ROLES

BATCH = "invoices.batch"


def _batch_id(params: dict[str, Any]) -> int:
    value = params.get("batch_id")
    if not isinstance(value, int) or isinstance(value, bool):
        raise NotFound("Lot de factures introuvable.")
    return value


def get_batch(actor: Actor, batch_id: int) -> InvoiceBatch:
    """The batch of the actor's coordinator, else NotFound (404)."""
    if actor.role not in ACCOUNTING_ROLES:
        raise NotFound("Lot de factures introuvable.")
    batch = db.session.scalar(invoice_scope.batches(actor).where(InvoiceBatch.id == batch_id))
    if batch is None:
        raise NotFound("Lot de factures introuvable.")
    return batch


def _check(actor: Actor, params: dict[str, Any]) -> None:
    get_batch(actor, _batch_id(params))


def batch_url(batch_id: int) -> str:
    with current_app.test_request_context():
        return url_for("invoices.batch_show", batch_id=batch_id)


@dataclass(frozen=True)
class Started:
    batch: InvoiceBatch
    job: Job
    files: int


def start_batch(actor: Actor, file_name: str, content: bytes, left_out: list[str] | None = None) -> Started:
    """Judge the archive (BatchRefused when unsafe: nothing stored), keep it and start its job."""
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Seuls la comptabilité et le coordonnateur importent les factures.")
    files = archive_rules.check_archive(content, file_name)
    batch = InvoiceBatch(
        coordinator_id=actor.organisation_id,
        user_id=actor.user_id,
        file_name=file_name[:255].replace("\x00", ""),
        content=content,
        created_at=utcnow(),
    )
    db.session.add(batch)
    db.session.flush()
    job = start_job(
        actor,
        BATCH,
        key=f"batch:{batch.id}",
        params={"batch_id": batch.id, "left_out": [name[:300] for name in (left_out or [])][:100]},
        title=f"Import du lot de factures « {batch.file_name[:120]} »",
    )
    return Started(batch, job, files + len(left_out or []))


def run_batch(actor: Actor, params: dict[str, Any], progress: Progress) -> JobResult:
    batch = get_batch(actor, _batch_id(params))
    try:
        total = archive_rules.check_archive(batch.content, batch.file_name)
    except archive_rules.BatchRefused as refused:
        raise ServiceError(" ; ".join(str(issue) for issue in refused.reasons)) from None
    lines = [ReportLine(str(name), REFUSED, ("fichier laissé de côté",)) for name in params.get("left_out", [])]
    progress(0, total, "Lecture de l'archive")
    for done, member in enumerate(archive_rules.members(batch.content, batch.file_name), start=1):
        lines.append(_import_one(actor, member))
        progress(done, total, member.name)
    batch.report = [line.as_json() for line in lines]
    batch.finished_at = utcnow()
    db.session.flush()
    read = sum(1 for line in lines if line.status == READ)
    return JobResult(
        content=report_xlsx(batch.file_name, lines),
        filename=f"rapport-lot-{batch.id}-{read}-lue(s).xlsx",
        mimetype=XLSX_MIMETYPE,
        url=batch_url(batch.id),
    )


def _import_one(actor: Actor, member: archive_rules.Member) -> ReportLine:
    if member.content is None:
        return ReportLine(member.name, REFUSED, (member.refusal,))
    try:
        # The file's own savepoint: refused, it writes nothing; read, it waits for the job's commit.
        with transaction.savepoint():
            invoice = import_invoice(actor, member.name, member.content)
    except InvoiceDuplicate as duplicate:
        return ReportLine(member.name, DUPLICATE, tuple(duplicate.reasons))
    except InvoiceRejected as rejected:
        return ReportLine(member.name, REFUSED, tuple(str(reason) for reason in rejected.reasons))
    except (NotFound, Forbidden):
        raise
    except ServiceError as error:
        return ReportLine(member.name, REFUSED, (str(error),))
    return ReportLine(
        member.name,
        READ,
        (),
        invoice_id=invoice.id,
        number=invoice.number,
        supplier=invoice.supplier_name,
        kind=invoice.kind.label,
        total_ttc=str(invoice.total_ttc),
        anomalies=len(blocking_checks(invoice)),
    )


register(
    JobKind(
        name=BATCH,
        run=run_batch,
        roles=COORDINATOR_SIDE_ROLES,
        check=_check,
        writes=True,
        back_url=lambda params: url_for("invoices.batches"),
        result_page=lambda params: batch_url(_batch_id(params)),
        result_page_label="Voir le rapport du lot",
    )
)


def recent_batches(actor: Actor, limit: int = 20) -> list[InvoiceBatch]:
    """The coordinator's latest batches, newest first (their report, not their bytes, is shown)."""
    if actor.role not in ACCOUNTING_ROLES:
        return []
    return list(
        db.session.scalars(
            invoice_scope.batches(actor)
            .options(defer(InvoiceBatch.content))
            .order_by(InvoiceBatch.id.desc())
            .limit(limit)
        )
    )


def job_of(actor: Actor, batch_id: int) -> Job | None:
    """The batch's job (the latest, if it was started again), in the actor's organisation."""
    return db.session.scalar(
        select(Job)
        .where(Job.kind == BATCH, Job.key == f"batch:{batch_id}", Job.organisation_id == actor.organisation_id)
        .order_by(Job.id.desc())
        .limit(1)
    )
