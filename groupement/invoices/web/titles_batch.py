"""The batch jobs of the recovery side: « émettre les titres de toutes les factures réparties »
(a confirmation page, then one POST that starts the job) and every commune's état de répartition
of one invoice in a zip (one POST from the invoice's page). Both answer at once with the job's
page (/travaux/<id>); a double click gives the same job."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, url_for

from groupement.core import transaction
from groupement.core.access import COORDINATOR_SIDE_ROLES
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.timeutil import paris_today
from groupement.invoices import ledgers, statements_job, titles_job
from groupement.invoices.web import bp
from groupement.invoices.web.forms import ActionForm
from groupement.invoices.web.title_forms import TitlesBatchForm
from groupement.web.access import current_actor, roles_required
from groupement.web.actions import attempt

TITLE_DELAY = timedelta(days=30)


@bp.route("/factures/titres/emission")
@roles_required(*COORDINATOR_SIDE_ROLES)
def titles_batch():
    preview = titles_job.preview(current_actor())
    due = max(paris_today() + TITLE_DELAY, preview.earliest_due)
    return _confirmation(preview, TitlesBatchForm(data={"due_date": due, "seen": preview.fingerprint}))


def _confirmation(preview: titles_job.TitlesPreview, form: TitlesBatchForm, status: int = 200):
    return render_template("invoices/titles_batch.html", preview=preview, form=form), status


@bp.route("/factures/titres/emission", methods=["POST"])
@roles_required(*COORDINATOR_SIDE_ROLES)
def titles_batch_start():
    actor = current_actor()
    form = TitlesBatchForm()
    if not form.validate_on_submit():
        return _confirmation(titles_job.preview(actor), form, 422)
    try:
        job = titles_job.start_titles(actor, form.seen.data, form.due_date.data)
    except (NotFound, Forbidden):
        raise
    except ServiceError as refused:
        transaction.discard()
        flash(str(refused), "error")
        preview = titles_job.preview(actor)
        form.seen.data = preview.fingerprint  # the new figures, to confirm again
        return _confirmation(preview, form, 409)
    return redirect(url_for("jobs.show", job_id=job.id), 303)


@bp.route("/factures/<int:invoice_id>/etats", methods=["POST"])
@roles_required(*COORDINATOR_SIDE_ROLES)
def statements_zip(invoice_id: int):
    actor = current_actor()
    ledgers.invoice_detail(actor, invoice_id)  # 404 out of scope, before anything else
    if not ActionForm().validate_on_submit():
        flash("Le formulaire a expiré : rechargez la page puis recommencez.", "error")
        return redirect(url_for("invoices.show", invoice_id=invoice_id, _anchor="repartition"))
    job = attempt(lambda: statements_job.start_statements(actor, invoice_id))
    if job is None:
        return redirect(url_for("invoices.show", invoice_id=invoice_id, _anchor="repartition"))
    return redirect(url_for("jobs.show", job_id=job.id), 303)
