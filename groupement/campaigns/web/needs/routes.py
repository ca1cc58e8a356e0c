"""The needs grid and the submission workflow."""

from flask import flash, redirect, render_template, request, url_for

from groupement.campaigns.grid import InvalidQuantities, NeedsConflict, save_needs
from groupement.campaigns.grid_page import needs_grid_page
from groupement.campaigns.summary import needs_summary
from groupement.campaigns.web.needs import bp
from groupement.campaigns.web.needs.forms import GridForm, SendBackForm, StepForm, entries_from_form
from groupement.campaigns.web.needs.grid_rows import GridRows
from groupement.campaigns.workflow import line_history, send_back_needs, submit_needs, validate_needs
from groupement.core import transaction
from groupement.core.access import COMMUNE_ROLES
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.organisations.families import Family
from groupement.web.access import current_actor, roles_required
from groupement.web.query import choice_arg, int_arg, text_arg


def _render_grid(campaign_id: int, status: int = 200, typed=None, errors=None, conflicts=None):
    filters = _grid_filters()
    paged = needs_grid_page(
        current_actor(),
        campaign_id,
        family=Family(filters["famille"]) if "famille" in filters else None,
        search=filters.get("q", ""),
        page=int_arg("page", 1),
    )
    grid = paged.grid
    flagged = set(errors or {}) | {conflict.item_id for conflict in conflicts or []}
    faulty = [line for line in grid.lines if line.item.id in flagged]  # in the grid's order
    return render_template(
        "campaigns/needs/grid.html",
        grid=grid,
        paged=paged,
        filters=filters,
        form=GridForm(),
        typed=typed or {},
        errors=errors or {},
        conflicts={c.item_id: c for c in conflicts or []},
        faulty=faulty,
        family_filter=filters.get("famille", ""),
        rows=GridRows(campaign_id, typed, errors, {c.item_id: c for c in conflicts or []}),
    ), status


@bp.route("", methods=["GET", "POST"])
@roles_required(*COMMUNE_ROLES)
def grid(campaign_id: int):
    if request.method == "GET":
        return _render_grid(campaign_id)
    form = GridForm()
    if not form.validate_on_submit():
        flash("Formulaire invalide : rechargez la page.", "error")
        return redirect(url_for("needs.grid", campaign_id=campaign_id))
    entries, typed = entries_from_form(request.form)
    try:
        changed = save_needs(current_actor(), campaign_id, entries)
    except InvalidQuantities as invalid:
        flash(str(invalid), "error")
        return _render_grid(campaign_id, 422, typed=typed, errors=invalid.errors)
    except NeedsConflict as conflict:
        flash(str(conflict), "error")
        return _render_grid(campaign_id, 409, typed=typed, conflicts=conflict.conflicts)
    except (NotFound, Forbidden):
        raise
    except ServiceError as refused:
        transaction.discard()
        flash(str(refused), "error")
        return _render_grid(campaign_id, 422, typed=typed)
    if changed:
        flash(f"{changed} ligne{'s' if changed > 1 else ''} enregistrée{'s' if changed > 1 else ''}.", "success")
    else:
        flash("Aucune modification à enregistrer.", "info")
    page = int_arg("page", 1)
    if request.form.get("suivante"):  # « Enregistrer et page suivante »: the entry goes on there
        page = int_arg("page", 1) + 1
    return redirect(
        url_for("needs.grid", campaign_id=campaign_id, **_grid_filters(), **({"page": page} if page > 1 else {}))
    )


def _grid_filters() -> dict[str, str]:
    """The grid's own filters, validated, to come back to the same view after a save."""
    filters = {"q": text_arg("q", 200), "famille": choice_arg("famille", (f.value for f in Family))}
    return {name: value for name, value in filters.items() if value}


def _step(campaign_id: int, action, success: str, *args):
    try:
        action(current_actor(), campaign_id, *args)
    except (NotFound, Forbidden):
        raise
    except ServiceError as refused:
        transaction.discard()
        flash(str(refused), "error")
    else:
        flash(success, "success")
    return redirect(url_for("needs.grid", campaign_id=campaign_id))


@bp.route("/soumettre")
@roles_required(*COMMUNE_ROLES)
def submit_review(campaign_id: int):
    """The confirmation step before submitting: what will be submitted (lines, totals)."""
    summary = needs_summary(current_actor(), campaign_id)
    return render_template("campaigns/needs/submit_review.html", summary=summary, step_form=StepForm())


@bp.route("/valider")
@roles_required(*COMMUNE_ROLES)
def validate_review(campaign_id: int):
    """The signatory's page: the non-zero lines, totals per family, last campaign compared."""
    summary = needs_summary(current_actor(), campaign_id)
    return render_template(
        "campaigns/needs/validate_review.html",
        summary=summary,
        step_form=StepForm(),
        send_back_form=SendBackForm(),
    )


@bp.route("/soumettre", methods=["POST"])
@roles_required(*COMMUNE_ROLES)
def submit(campaign_id: int):
    StepForm().validate_on_submit()
    return _step(campaign_id, submit_needs, "Besoins soumis au signataire de la commune.")


@bp.route("/valider", methods=["POST"])
@roles_required(*COMMUNE_ROLES)
def validate(campaign_id: int):
    StepForm().validate_on_submit()
    return _step(campaign_id, validate_needs, "Besoins validés : ils seront pris en compte dans l'agrégation.")


@bp.route("/renvoyer", methods=["POST"])
@roles_required(*COMMUNE_ROLES)
def send_back(campaign_id: int):
    form = SendBackForm()
    if not form.validate_on_submit():
        for message in form.comment.errors:
            flash(message, "error")
        return redirect(url_for("needs.grid", campaign_id=campaign_id))
    return _step(campaign_id, send_back_needs, "Besoins renvoyés à l'agent pour modification.", form.comment.data)


@bp.route("/historique/<int:item_id>")
@roles_required(*COMMUNE_ROLES)
def history(campaign_id: int, item_id: int):
    item, changes = line_history(current_actor(), campaign_id, item_id)
    return render_template("campaigns/needs/history.html", campaign_id=campaign_id, item=item, changes=changes)
