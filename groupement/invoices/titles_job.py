"""« Émettre les titres de toutes les factures réparties »: the accountant's batch, as a job. At a
departmental groupement, a month of invoices shared by 1 000 communes is tens of thousands of
titres de recettes.

The confirmation page (web/titles_batch.py) shows what will be issued: how many invoices, titles
and euros, and the earliest due date every invoice allows. Its form carries a fingerprint of the
invoices it showed; the POST starts the job only if the invoices waiting are still those (else it
shows the new figures to confirm again). The job issues each invoice's titles through
recovery.issue_recovery_titles in its one unit of work: all of them, or none if one is refused
(the French reason names the invoice). An invoice titled by hand meanwhile is skipped and named
in the summary, so that a retry is safe. The result is the issued titles as .xlsx, the file the
accounting software takes, kept for download by the coordinator's side."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import url_for
from sqlalchemy import func, select

from groupement.core import audit
from groupement.core.access import COORDINATOR_SIDE_ROLES, Actor
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.files.xlsx import XLSX_MIMETYPE
from groupement.core.formatting import euros
from groupement.core.jobs import Job, JobKind, JobResult, Progress, active_key, register, start_job
from groupement.core.money import to_cents
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.invoices import pages, recovery
from groupement.invoices import scope as invoice_scope
from groupement.invoices.models import Allocation, Invoice
from groupement.invoices.scope import ACCOUNTING_ROLES
from groupement.invoices.statements import titles_xlsx
from groupement.invoices.states import InvoiceStatus

TITLES = "invoices.titles"
KEY = "titres-des-factures-reparties"
CHANGED = (
    "Les factures réparties ont changé depuis l'affichage de la confirmation (une facture répartie ou "
    "titrée entre-temps) : rien n'a été lancé. Vérifiez les nouveaux chiffres, puis confirmez de nouveau."
)
NOTHING = "Aucune facture répartie n'attend ses titres de recettes."


def _require_accounting(actor: Actor) -> None:
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")


def fingerprint(invoice_ids: list[int]) -> str:
    """Short and stable for one set of invoices: the confirmation form carries it."""
    return hashlib.sha256(",".join(map(str, sorted(invoice_ids))).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class TitlesPreview:
    """What the batch would issue now: counted in SQL, whatever the number of communes."""

    invoice_ids: list[int]
    titles: int  # one per commune's share
    total_ttc: Decimal
    earliest_due: date  # today, or the latest invoice's date if later
    fingerprint: str
    running: Job | None  # a batch already waiting or running for this coordinator

    @property
    def invoices(self) -> int:
        return len(self.invoice_ids)


def preview(actor: Actor) -> TitlesPreview:
    _require_accounting(actor)
    waiting = db.session.execute(
        invoice_scope.invoices(actor)
        .with_only_columns(Invoice.id, Invoice.issue_date)
        .where(Invoice.status == InvoiceStatus.SPLIT)
        .order_by(Invoice.id)
    ).all()
    titles, total = db.session.execute(
        invoice_scope.allocations(actor)
        .with_only_columns(func.count(Allocation.id), func.coalesce(func.sum(Allocation.ttc), 0))
        .where(Invoice.status == InvoiceStatus.SPLIT)
    ).one()
    ids = [invoice_id for invoice_id, _ in waiting]
    today = paris_today()
    running = db.session.scalar(select(Job).where(Job.active_key == active_key(TITLES, actor.organisation_id, KEY)))
    return TitlesPreview(
        invoice_ids=ids,
        titles=titles,
        total_ttc=to_cents(Decimal(total)),
        earliest_due=max([today, *(issued for _, issued in waiting)]),
        fingerprint=fingerprint(ids),
        running=running,
    )


def start_titles(actor: Actor, seen: str, due_date: date) -> Job:
    """The batch job for the invoices the confirmation showed (`seen`: their fingerprint). Refused at
    once (ServiceError, nothing started) when none waits, when they changed, or when the due date
    falls before one of their dates. A double click gives the job already started."""
    current = preview(actor)
    if current.running is not None:
        return current.running
    if not current.invoice_ids:
        raise ServiceError(NOTHING)
    if seen != current.fingerprint:
        raise ServiceError(CHANGED)
    if due_date < current.earliest_due:
        raise ServiceError(
            f"La date d'échéance ({due_date:%d/%m/%Y}) précède la date d'une des factures ou aujourd'hui : "
            f"choisissez le {current.earliest_due:%d/%m/%Y} ou après."
        )
    return start_job(
        actor,
        TITLES,
        key=KEY,
        params={"invoice_ids": current.invoice_ids, "due_date": due_date.isoformat()},
        title=f"Titres de recettes de {_invoices(current.invoices)} répartie{'s' if current.invoices > 1 else ''}",
    )


def _invoices(count: int) -> str:
    return f"{count} facture{'s' if count > 1 else ''}"


def _params(params: dict[str, Any]) -> tuple[list[int], date]:
    ids, due = params.get("invoice_ids"), params.get("due_date")
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise NotFound("Travail introuvable.")
    try:
        return ids, date.fromisoformat(str(due))
    except ValueError as error:
        raise NotFound("Travail introuvable.") from error


def _check(actor: Actor, params: dict[str, Any]) -> None:
    if actor.role not in ACCOUNTING_ROLES:
        raise NotFound("Travail introuvable.")
    _params(params)


def issue_all(actor: Actor, params: dict[str, Any], progress: Progress) -> JobResult:
    invoice_ids, due_date = _params(params)
    issued: list[int] = []
    skipped: list[str] = []
    count, total = 0, Decimal("0.00")
    progress(0, len(invoice_ids), "Émission des titres")
    for done, invoice_id in enumerate(invoice_ids, start=1):
        invoice = invoice_scope.get_invoice(actor, invoice_id)  # NotFound: no longer the actor's
        if invoice.status is not InvoiceStatus.SPLIT:
            skipped.append(f"n° {invoice.number} ({invoice.status.label})")
        else:
            try:
                titles = recovery.issue_recovery_titles(actor, invoice_id, due_date)
            except ServiceError as refused:
                raise ServiceError(
                    f"Facture n° {invoice.number} : {refused} Aucun titre n'a été émis ; corrigez puis relancez."
                ) from None
            issued.append(invoice_id)
            count += len(titles)
            total += sum((t.amount_ttc for t in titles), Decimal(0))
        progress(done, len(invoice_ids), f"Facture n° {invoice.number}")
    if not issued:
        raise ServiceError(f"{NOTHING} Déjà titrées entre-temps : {', '.join(skipped)}.")
    audit.record(
        actor.user_id,
        "invoice.titles_batch",
        "recovery_batch",
        due_date.isoformat(),
        after={"invoices": issued, "titles": count, "total": total, "due_date": due_date, "skipped": skipped},
    )
    summary = (
        f"{count} titre{'s' if count > 1 else ''} de recettes émis pour {euros(total)} sur "
        f"{_invoices(len(issued))}, échéance le {due_date:%d/%m/%Y}."
    )
    if skipped:
        summary += f" Déjà titrées entre-temps, laissées telles quelles : {', '.join(skipped)}."
    return JobResult(
        content=titles_xlsx(pages.title_rows(actor, invoice_ids=issued)),
        filename=f"titres-emis-{paris_today():%Y-%m-%d}.xlsx",
        mimetype=XLSX_MIMETYPE,
        summary=summary,
    )


register(
    JobKind(
        name=TITLES,
        run=issue_all,
        roles=COORDINATOR_SIDE_ROLES,
        check=_check,
        writes=True,
        back_url=lambda params: url_for("invoices.titles_batch"),
        result_page=lambda params: url_for("invoices.board", statut=InvoiceStatus.RECOVERED.value),
        result_page_label="Voir les factures titrées",
    )
)
