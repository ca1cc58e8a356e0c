"""Every commune's état de répartition of one invoice, as PDFs in one zip, built by a job: an
invoice shared by 1 000 communes is 1 000 PDFs on the letterhead, minutes of WeasyPrint.

The PDFs are rendered while only reading (on SQLite no write lock is held meanwhile); each one
whose content is new is archived, as its single download would, in the short transaction that
stores the zip (JobResult.store): the zip and its archive are kept together, or neither. A job
killed midway has written nothing; its retry renders them again and archives none twice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import url_for

from groupement.core.access import COORDINATOR_SIDE_ROLES, Actor
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.formatting import slug
from groupement.core.jobs import Job, JobKind, JobResult, Progress, register, start_job
from groupement.extensions import db
from groupement.invoices import scope as invoice_scope
from groupement.invoices.models import Allocation
from groupement.invoices.scope import ACCOUNTING_ROLES
from groupement.invoices.statement_file import StatementPdf, certifier_name, keep_statement_pdf, render_statement_pdf
from groupement.organisations.letterhead import letterhead_for
from groupement.organisations.models import Organisation
from groupement.tenders.tender_package import zip_in_order

STATEMENTS = "invoices.statements"
NOT_SPLIT = "Cette facture n'est pas encore répartie : elle n'a pas d'état de répartition."


def _invoice_id(params: dict[str, Any]) -> int:
    value = params.get("invoice_id")
    if not isinstance(value, int) or isinstance(value, bool):
        raise NotFound("Facture introuvable.")
    return value


def _check(actor: Actor, params: dict[str, Any]) -> None:
    if actor.role not in ACCOUNTING_ROLES:
        raise NotFound("Facture introuvable.")
    invoice_scope.get_invoice(actor, _invoice_id(params))


def _communes(actor: Actor, invoice_id: int) -> list[tuple[int, str]]:
    """(commune id, INSEE code or id) of each share of the invoice, in INSEE order."""
    rows = db.session.execute(
        invoice_scope.allocations(actor)
        .with_only_columns(Allocation.commune_id, Organisation.insee_code)
        .join(Organisation, Organisation.id == Allocation.commune_id)
        .where(Allocation.invoice_id == invoice_id)
        .order_by(Organisation.insee_code, Allocation.commune_id)
    ).all()
    return [(commune_id, insee or str(commune_id)) for commune_id, insee in rows]


def build_statements(actor: Actor, params: dict[str, Any], progress: Progress) -> JobResult:
    invoice = invoice_scope.get_invoice(actor, _invoice_id(params))
    number, coordinator_id = invoice.number, invoice.coordinator_id
    communes = _communes(actor, invoice.id)
    if not communes:
        raise ServiceError(NOT_SPLIT)
    certifier, letterhead = certifier_name(actor), letterhead_for(coordinator_id)
    rendered: list[StatementPdf] = []

    def pdfs() -> Iterator[tuple[str, bytes]]:
        progress(0, len(communes), "Préparation")
        for done, (commune_id, insee) in enumerate(communes, start=1):
            pdf = render_statement_pdf(actor, invoice.id, commune_id, certifier, letterhead)
            rendered.append(pdf)
            progress(done, len(communes), f"Commune {insee}")
            yield pdf.file_name, pdf.content

    content = zip_in_order(pdfs())
    user_id = actor.user_id

    def keep_all() -> None:
        for pdf in rendered:
            keep_statement_pdf(user_id, pdf)

    count = len(rendered)
    return JobResult(
        content=content,
        filename=f"etats-repartition-{slug(number, default='facture')}.zip",
        mimetype="application/zip",
        summary=f"{count} état{'s' if count > 1 else ''} de répartition (PDF) de la facture n° {number}, archivé"
        f"{'s' if count > 1 else ''} s'ils sont nouveaux.",
        store=keep_all,
    )


def _invoice_page(params: dict[str, Any]) -> str:
    return url_for("invoices.show", invoice_id=_invoice_id(params), _anchor="repartition")


register(
    JobKind(
        name=STATEMENTS,
        run=build_statements,
        roles=COORDINATOR_SIDE_ROLES,
        check=_check,
        writes=False,
        back_url=_invoice_page,
        result_page=_invoice_page,
        result_page_label="Voir la facture",
    )
)


def start_statements(actor: Actor, invoice_id: int) -> Job:
    """The statements job of this invoice: refused at once (ServiceError) when it is not split."""
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    invoice = invoice_scope.get_invoice(actor, invoice_id)
    split = db.session.scalar(
        invoice_scope.allocations(actor)
        .with_only_columns(Allocation.id)
        .where(Allocation.invoice_id == invoice_id)
        .limit(1)
    )
    if split is None:
        raise ServiceError(NOT_SPLIT)
    return start_job(
        actor,
        STATEMENTS,
        key=f"invoice:{invoice_id}",
        params={"invoice_id": invoice_id},
        title=f"États de répartition de la facture n° {invoice.number}",
    )
