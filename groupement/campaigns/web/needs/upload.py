"""Excel round trip of the needs grid: download, upload, preview, confirm."""

from dataclasses import dataclass

from flask import current_app, flash, redirect, render_template, url_for

from groupement.campaigns import needs_import_job, needs_upload
from groupement.campaigns.grid import GridLine, NeedsConflict, needs_grid
from groupement.campaigns.needs_upload import (
    NoChanges,
    export_needs,
    finished_upload,
    pending_preview,
    preview_effect,
    preview_upload,
)
from groupement.campaigns.rules import NeedsDiff
from groupement.campaigns.web.needs import bp
from groupement.campaigns.web.needs.upload_forms import NeedsUploadForm, UploadDecisionForm
from groupement.core import transaction
from groupement.core.access import Role
from groupement.core.errors import Forbidden, ImportRejected, NotFound, ServiceError
from groupement.core.formatting import datetime_fr
from groupement.web.access import current_actor, roles_required
from groupement.web.downloads import xlsx_response
from groupement.web.pagination import paginate_list
from groupement.web.query import id_arg

# A 5 000-line file changes up to 5 000 lines: the preview shows them in pages (the counts per
# kind and the euros are the whole file's; the confirmation applies every line, not a page).
PREVIEW_PAGE_SIZE = 100
KINDS = {"modified": "Modifiée", "added": "Ajoutée", "zeroed": "Remise à zéro"}


@dataclass(frozen=True)
class PreviewRow:
    """One changed line as the preview shows it; `stale`: changed by someone else since the check."""

    change: dict
    line: GridLine
    kind: str
    stale: bool


def preview_rows(changes: list[dict], diff: NeedsDiff, lines: dict[str, GridLine]) -> list[PreviewRow]:
    """The upload's changed lines, those changed since the check first (the confirmation will
    refuse them: the agent sees them on the first page), then in the file's order."""
    kinds = {ref: kind for kind in KINDS for ref in getattr(diff, kind)}
    rows = [
        PreviewRow(
            change, lines[change["ref"]], kinds[change["ref"]], lines[change["ref"]].version != change["version"]
        )
        for change in changes
        if change["ref"] in lines and change["ref"] in kinds
    ]
    return sorted(rows, key=lambda row: not row.stale)  # stable: the file's order within each


@bp.route("/export.xlsx")
@roles_required(Role.AGENT, Role.SIGNATORY, Role.COORDINATOR)
def export_xlsx(campaign_id: int):
    """Commune users get their commune's file; the coordinator adds ?commune=<id>."""
    content, filename = export_needs(current_actor(), campaign_id, id_arg("commune", "Commune introuvable."))
    return xlsx_response(content, filename)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.AGENT)
def upload(campaign_id: int):
    form = NeedsUploadForm()
    issues, status = [], 200
    if form.validate_on_submit():
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        storage = form.file.data
        content = storage.read(limit + 1)
        try:
            if needs_import_job.as_job(len(content)):
                job = needs_import_job.start_check(
                    current_actor(), campaign_id, storage.filename or "", content, max_bytes=limit
                )
                return redirect(url_for("jobs.show", job_id=job.id), 303)
            pending = preview_upload(current_actor(), campaign_id, storage.filename or "", content, max_bytes=limit)
        except ImportRejected as rejected:
            flash(str(rejected), "error")
            issues, status = rejected.issues, 422
        except NoChanges as nothing:
            flash(str(nothing), "info")
            return redirect(url_for("needs.grid", campaign_id=campaign_id))
        except (NotFound, Forbidden):
            raise
        except ServiceError as refused:
            transaction.discard()
            flash(str(refused), "error")
            status = 422
        else:
            return redirect(url_for("needs.preview", campaign_id=campaign_id, upload_id=pending.id))
    grid = needs_grid(current_actor(), campaign_id)
    return render_template("campaigns/needs/upload.html", grid=grid, form=form, issues=issues), status


@bp.route("/import/<int:upload_id>")
@roles_required(Role.AGENT)
def preview(campaign_id: int, upload_id: int):
    try:
        pending, diff, lines = pending_preview(current_actor(), campaign_id, upload_id)
    except NotFound:
        # Back after a confirmation (or a cancellation): say what became of the upload.
        finished = finished_upload(current_actor(), campaign_id, upload_id)
        if finished is None:
            raise
        return render_template("campaigns/needs/upload_done.html", campaign_id=campaign_id, finished=finished)
    rows = preview_rows(pending.changes, diff, lines)
    return render_template(
        "campaigns/needs/upload_preview.html",
        campaign_id=campaign_id,
        pending=pending,
        diff=diff,
        kinds=KINDS,
        page=paginate_list(rows, PREVIEW_PAGE_SIZE),
        stale=sum(row.stale for row in rows),
        effect=preview_effect(lines, pending),
    )


@bp.route("/import/<int:upload_id>/confirmer", methods=["POST"])
@roles_required(Role.AGENT)
def confirm_upload(campaign_id: int, upload_id: int):
    UploadDecisionForm().validate_on_submit()  # CSRF is checked for every POST by CSRFProtect
    changes = needs_import_job.pending_changes(current_actor(), campaign_id, upload_id)
    if changes is not None and needs_import_job.confirm_as_job(changes):
        job = needs_import_job.start_confirm(current_actor(), campaign_id, upload_id)
        return redirect(url_for("jobs.show", job_id=job.id), 303)
    try:
        changed = needs_upload.confirm_upload(current_actor(), campaign_id, upload_id)
    except NeedsConflict as conflict:
        flash(_conflict_message(conflict), "error")
        return redirect(url_for("needs.preview", campaign_id=campaign_id, upload_id=upload_id))
    except NotFound:
        transaction.discard()
        if finished_upload(current_actor(), campaign_id, upload_id) is None:
            raise
        # A second click on « Confirmer » (or a resent form): the page that says it is done.
        return redirect(url_for("needs.preview", campaign_id=campaign_id, upload_id=upload_id))
    except Forbidden:
        raise
    except ServiceError as refused:
        transaction.discard()
        flash(f"{refused} Rien n'a été enregistré.", "error")
        return redirect(url_for("needs.grid", campaign_id=campaign_id))
    plural = "s" if changed > 1 else ""
    flash(f"Import confirmé : {changed} ligne{plural} enregistrée{plural}.", "success")
    return redirect(url_for("needs.grid", campaign_id=campaign_id))


@bp.route("/import/<int:upload_id>/annuler", methods=["POST"])
@roles_required(Role.AGENT)
def cancel_upload(campaign_id: int, upload_id: int):
    UploadDecisionForm().validate_on_submit()
    needs_upload.cancel_upload(current_actor(), campaign_id, upload_id)
    flash("Import annulé : vos besoins n'ont pas été modifiés.", "info")
    return redirect(url_for("needs.grid", campaign_id=campaign_id))


def _conflict_message(conflict: NeedsConflict) -> str:
    details = "; ".join(
        f"{c.ref} : {c.their_quantity} saisi par {c.by} le {datetime_fr(c.at)}" for c in conflict.conflicts
    )
    count = len(conflict.conflicts)
    plural = "s" if count > 1 else ""
    head = (
        f"{count} ligne{plural} modifiée{plural} entre-temps par une autre personne ({details})"
        if count
        else "Vos besoins ont été modifiés entre-temps par une autre personne"
    )
    return (
        f"{head} : rien n'a été enregistré. Téléchargez à nouveau le fichier, reportez-y vos quantités "
        "et importez-le de nouveau."
    )
