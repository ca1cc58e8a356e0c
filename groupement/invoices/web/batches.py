"""Batch intake pages: a zip of invoices imported by a job (/factures/lots), its report (one line
per file), and the invoice spreadsheet template for suppliers without an ERP (/factures/modele.xlsx)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for

from groupement.core import transaction
from groupement.core.access import COORDINATOR_SIDE_ROLES
from groupement.invoices import batch_job
from groupement.invoices.batch import BatchRefused
from groupement.invoices.batch_report import ReportLine, counts
from groupement.invoices.einvoice.spreadsheet_template import TEMPLATE_FILENAME
from groupement.invoices.template_download import template_for
from groupement.invoices.web import bp
from groupement.invoices.web.forms import BatchUploadForm
from groupement.web.access import current_actor, roles_required
from groupement.web.downloads import xlsx_response


@bp.route("/factures/lots")
@roles_required(*COORDINATOR_SIDE_ROLES)
def batches():
    return _batches_page(BatchUploadForm())


def _batches_page(form: BatchUploadForm, reasons: list[str] | None = None, file_name: str = "", status: int = 200):
    return (
        render_template(
            "invoices/batches.html",
            form=form,
            batches=batch_job.recent_batches(current_actor()),
            reasons=reasons or [],
            rejected_file=file_name,
        ),
        status,
    )


@bp.route("/factures/lots", methods=["POST"])
@roles_required(*COORDINATOR_SIDE_ROLES)
def batch_upload():
    form = BatchUploadForm()
    if not form.validate_on_submit():
        return _batches_page(form, status=422)
    storage = form.file.data
    file_name = (storage.filename or "factures.zip").replace("\x00", "")
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    try:
        started = batch_job.start_batch(current_actor(), file_name, storage.read(limit + 1))
    except BatchRefused as refused:
        transaction.discard()
        flash(f"Archive « {file_name[:120]} » refusée : rien n'a été enregistré.", "error")
        return _batches_page(form, reasons=list(refused.reasons), file_name=file_name, status=422)
    flash(f"Lot de {started.files} fichier(s) en cours d'import : le rapport s'affiche à la fin du travail.", "success")
    return redirect(url_for("jobs.show", job_id=started.job.id), 303)


@bp.route("/factures/lots/<int:batch_id>")
@roles_required(*COORDINATOR_SIDE_ROLES)
def batch_show(batch_id: int):
    actor = current_actor()
    batch = batch_job.get_batch(actor, batch_id)
    lines = [ReportLine.from_json(line) for line in batch.report or []]
    job = batch_job.job_of(actor, batch.id)
    return render_template("invoices/batch.html", batch=batch, lines=lines, counts=counts(lines), job=job)


@bp.route("/factures/modele.xlsx")
@roles_required(*COORDINATOR_SIDE_ROLES)
def invoice_template():
    return xlsx_response(template_for(current_actor()), TEMPLATE_FILENAME)
