"""The purchasing officer's lots pages: the coordinator edits; accountant and admin may read."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from flask import flash, redirect, render_template, url_for
from markupsafe import Markup
from wtforms import SelectChoice

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.web.routes import board_page
from groupement.core import formatting
from groupement.core.access import COORDINATOR_SIDE_ROLES, Role
from groupement.core.charts import bar_chart_svg
from groupement.lots.aggregation_job import start_aggregation
from groupement.lots.edits import (
    exclude_line,
    merge_lots,
    move_lines,
    open_data_lot,
    publish_lot,
    publish_lots,
    rename_lot,
    set_lot_parameters,
    set_open_data,
    visible_line,
)
from groupement.lots.lot_page import lot_page
from groupement.lots.page import LotsFilter, lots_page
from groupement.lots.queries import CommuneShareRow, line_amount
from groupement.lots.rules import LotStatus
from groupement.lots.web import bp
from groupement.lots.web.forms import (
    NEW_LOT,
    ConfirmAggregationForm,
    ExcludeForm,
    IncludeForm,
    MergeForm,
    MoveForm,
    OpenDataForm,
    ParametersForm,
    PublishForm,
    PublishSelectionForm,
    RenameForm,
)
from groupement.lots.web.line_rows import line_rows_markup
from groupement.organisations.families import Family
from groupement.web.access import current_actor, roles_required
from groupement.web.actions import attempt
from groupement.web.pagination import MAX_PAGE
from groupement.web.query import choice_arg, id_arg, int_arg, text_arg
from groupement.web.row_urls import url_pattern

LARGEST_COMMUNES = 10


# --- aggregation and the campaign's lots ----------------------------------------------------


@bp.route("/campagnes/<int:campaign_id>/agreger", methods=["POST"])
@roles_required(Role.COORDINATOR)
def aggregate(campaign_id: int):
    form = ConfirmAggregationForm()
    if not form.validate_on_submit():
        return board_page(campaign_id, 422, aggregate_form=form)
    # A background job (lots/aggregation_job.py): refused at once when it cannot run, else its page.
    job = attempt(lambda: start_aggregation(current_actor(), campaign_id))
    if job is None:
        return redirect(url_for("campaigns.board", campaign_id=campaign_id))
    return redirect(url_for("jobs.show", job_id=job.id), 303)


@bp.route("/campagnes/<int:campaign_id>/lots")
@roles_required(*COORDINATOR_SIDE_ROLES)
def index(campaign_id: int):
    return _lots_page(campaign_id)


def _lots_page(campaign_id: int, status: int = 200, **refused):
    """The lots page; `refused` holds a posted form that was not valid (move_form, merge_form,
    publish_form), shown again with its errors beside its fields: a 422, nothing written."""
    wanted = LotsFilter(
        status=LotStatus(value) if (value := choice_arg("statut", [s.value for s in LotStatus])) else None,
        family=Family(value) if (value := choice_arg("famille", [f.value for f in Family])) else None,
        page=int_arg("page", 1, maximum=MAX_PAGE),
        line_lot_id=id_arg("lot"),
        search=text_arg("recherche"),
        lines_page=int_arg("page_lignes", 1, maximum=MAX_PAGE),
        annexes_page=int_arg("page_annexes", 1, maximum=MAX_PAGE),
    )
    lots = lots_page(current_actor(), campaign_id, wanted)
    campaign = lots.campaign
    chart = Markup(
        bar_chart_svg(
            [(f"{row.lot.number}. {row.lot.title}", row.amounts.yearly_estimate) for row in lots.shown.items],
            f"Montant estimé HT annuel par lot — {campaign.title}",
            formatting.euros,
            chart_id=f"graphique-lots-{campaign.id}",
        )
    )
    lot_choices = [SelectChoice(row.lot.id, f"Lot {row.lot.number} — {row.lot.title}") for row in lots.lots]
    move_form = refused.get("move_form") or MoveForm(formdata=None)
    move_form.target.choices = [SelectChoice("", "Choisissez…"), *lot_choices, SelectChoice(NEW_LOT, "Nouveau lot")]
    merge_form = refused.get("merge_form") or MergeForm(formdata=None)
    merge_choices = [SelectChoice("", "Choisissez…"), *lot_choices]
    merge_form.source_lot_id.choices = merge_form.target_lot_id.choices = merge_choices
    return render_template(
        "lots/index.html",
        lots=lots,
        wanted=wanted,
        chart=chart,
        move_form=move_form,
        merge_form=merge_form,
        publish_form=refused.get("publish_form") or PublishSelectionForm(formdata=None),
        line_rows=line_rows_markup(set(move_form.line_ids.data or [])),
        # The links repeated per row (lots, their lines' headings, 50 annexes) from one url_for each.
        lot_url=url_pattern("lots.show", "lot_id"),
        annex_url=url_pattern("lots.export_annex", "commune_id", campaign_id=campaign.id),
        families=list(Family),
        statuses=list(LotStatus),
    ), status


@bp.route("/campagnes/<int:campaign_id>/lots/deplacer", methods=["POST"])
@roles_required(Role.COORDINATOR)
def move(campaign_id: int):
    form = MoveForm()
    if not form.validate_on_submit():
        return _lots_page(campaign_id, 422, move_form=form)
    title = (form.new_title.data or "").strip() if form.target_lot_id is None else ""
    target = attempt(lambda: move_lines(current_actor(), campaign_id, form.line_ids.data, form.target_lot_id, title))
    if target is not None:
        count = len(set(form.line_ids.data))
        moved = f"{plural(count, 'ligne')} déplacée{'s' if count > 1 else ''}"
        if form.target_lot_id is None:
            flash(f"Nouveau lot n° {target.number} « {target.title} » créé : {moved}.", "success")
        else:
            flash(f"{moved[0].upper()}{moved[1:]} vers le lot n° {target.number} « {target.title} ».", "success")
    return redirect(url_for("lots.index", campaign_id=campaign_id))


@bp.route("/campagnes/<int:campaign_id>/lots/fusionner", methods=["POST"])
@roles_required(Role.COORDINATOR)
def merge(campaign_id: int):
    form = MergeForm()
    if not form.validate_on_submit():
        return _lots_page(campaign_id, 422, merge_form=form)
    else:
        actor = current_actor()
        target = attempt(lambda: merge_lots(actor, campaign_id, form.source_lot_id.data, form.target_lot_id.data))
        if target is not None:
            flash(
                f"Lots fusionnés dans le lot n° {target.number} « {target.title} » "
                f"({plural(len(target.lines), 'ligne')}) ; les lots suivants sont renumérotés.",
                "success",
            )
    return redirect(url_for("lots.index", campaign_id=campaign_id))


# --- one lot ----------------------------------------------------------------------------------


@bp.route("/lots/<int:lot_id>")
@roles_required(*COORDINATOR_SIDE_ROLES)
def show(lot_id: int):
    return _lot_page(lot_id)


def _lot_page(lot_id: int, status: int = 200, **refused):
    """The lot's page; `refused` holds a posted form that was not valid (rename_form,
    parameters_form, open_data_form, publish_form, exclude_form with the `excluding` line id),
    shown again with its errors beside its fields: a 422, nothing written."""
    page = lot_page(
        current_actor(),
        lot_id,
        lines_page=int_arg("page_lignes", 1, maximum=MAX_PAGE),
        communes_page=int_arg("page_communes", 1, maximum=MAX_PAGE),
    )
    lot = page.lot
    chart = Markup(
        bar_chart_svg(
            commune_bars(page.communes),
            f"Montant estimé HT annuel par commune — lot n° {lot.number}",
            formatting.euros,
            chart_id=f"graphique-communes-lot-{lot.id}",
        )
    )
    parameters_form = refused.get("parameters_form") or ParametersForm(
        formdata=None,
        data={
            "duration_months": lot.duration_months,
            "margin_percent": lot.margin_percent,
            "maximum_amount": lot.maximum_amount,
            "launch_date": lot.launch_date,
        },
    )
    return render_template(
        "lots/show.html",
        page=page,
        lot=lot,
        view=page.summary,
        chart=chart,
        rename_form=refused.get("rename_form") or RenameForm(formdata=None, data={"title": lot.title}),
        parameters_form=parameters_form,
        publish_form=refused.get("publish_form") or PublishForm(formdata=None),
        open_data_form=refused.get("open_data_form")
        or OpenDataForm(
            formdata=None,
            data={
                "ccag": lot.ccag.value,
                "social_clause": lot.social_clause,
                "environmental_clause": lot.environmental_clause,
                "reserved_market": lot.reserved_market,
            },
        ),
        exclude_form=refused.get("exclude_form") or ExcludeForm(formdata=None, data={"lot_id": lot.id}),
        exclude_blank=ExcludeForm(formdata=None, data={"lot_id": lot.id}),  # the other lines' forms stay empty
        excluding=refused.get("excluding"),
        include_form=IncludeForm(formdata=None, data={"lot_id": lot.id}),
        line_amount=line_amount,
    ), status


@bp.route("/lots/<int:lot_id>/renommer", methods=["POST"])
@roles_required(Role.COORDINATOR)
def rename(lot_id: int):
    form = RenameForm()
    if not form.validate_on_submit():
        return _lot_page(lot_id, 422, rename_form=form)
    else:
        lot = attempt(lambda: rename_lot(current_actor(), lot_id, form.title.data))
        if lot is not None:
            flash(f"Lot n° {lot.number} renommé « {lot.title} ».", "success")
    return redirect(url_for("lots.show", lot_id=lot_id))


@bp.route("/lots/<int:lot_id>/parametres", methods=["POST"])
@roles_required(Role.COORDINATOR)
def parameters(lot_id: int):
    form = ParametersForm()
    if not form.validate_on_submit():
        return _lot_page(lot_id, 422, parameters_form=form)
    else:
        lot = attempt(
            lambda: set_lot_parameters(
                current_actor(),
                lot_id,
                form.duration_months.data,
                form.margin_percent.data,
                form.maximum_amount.data,
                form.launch_date.data,
            )
        )
        if lot is not None:
            maximum = "fixé" if lot.maximum_amount is not None else "calculé (estimation × (1 + marge))"
            flash(f"Paramètres du lot n° {lot.number} enregistrés ; montant maximum {maximum}.", "success")
    return redirect(url_for("lots.show", lot_id=lot_id))


@bp.route("/lots/<int:lot_id>/donnees-essentielles", methods=["POST"])
@roles_required(Role.COORDINATOR)
def open_data(lot_id: int):
    open_data_lot(current_actor(), lot_id)  # another coordinator's lot is not found, whatever the form
    form = OpenDataForm()
    if not form.validate_on_submit():
        return _lot_page(lot_id, 422, open_data_form=form)
    else:
        lot = attempt(
            lambda: set_open_data(
                current_actor(),
                lot_id,
                form.ccag.data,
                social_clause=form.social_clause.data,
                environmental_clause=form.environmental_clause.data,
                reserved_market=form.reserved_market.data,
            )
        )
        if lot is not None:
            flash(f"Données essentielles du lot n° {lot.number} enregistrées : CCAG « {lot.ccag.value} ».", "success")
    return redirect(url_for("lots.show", lot_id=lot_id))


@bp.route("/lots/<int:lot_id>/publier", methods=["POST"])
@roles_required(Role.COORDINATOR)
def publish(lot_id: int):
    form = PublishForm()
    if not form.validate_on_submit():
        return _lot_page(lot_id, 422, publish_form=form)
    else:
        lot = attempt(lambda: publish_lot(current_actor(), lot_id))
        if lot is not None:
            flash(
                f"Lot n° {lot.number} publié le {formatting.date_fr(lot.published_at)} : lignes, quantités, "
                f"répartitions et montant maximum ({formatting.euros(lot.maximum_amount)} HT) sont figés.",
                "success",
            )
    return redirect(url_for("lots.show", lot_id=lot_id))


@bp.route("/campagnes/<int:campaign_id>/lots/publier", methods=["POST"])
@roles_required(Role.COORDINATOR)
def publish_selection(campaign_id: int):
    """Several lots published in one step: all or nothing, each refusal named."""
    campaign_scope.get_campaign(current_actor(), campaign_id)  # 404 before anything else
    form = PublishSelectionForm()
    if not form.validate_on_submit():
        return _lots_page(campaign_id, 422, publish_form=form)
    else:
        lots = attempt(lambda: publish_lots(current_actor(), campaign_id, form.lot_ids.data))
        if lots:
            numbers = ", ".join(f"n° {lot.number}" for lot in lots)
            flash(
                f"{len(lots)} lot{'s' if len(lots) > 1 else ''} publié{'s' if len(lots) > 1 else ''} ({numbers}) : "
                "lignes, quantités, répartitions et montants maximums sont figés.",
                "success",
            )
    return redirect(url_for("lots.index", campaign_id=campaign_id))


@bp.route("/lignes/<int:line_id>/exclure", methods=["POST"])
@roles_required(Role.COORDINATOR)
def exclude(line_id: int):
    form = ExcludeForm()
    if not form.validate_on_submit():
        line = visible_line(current_actor(), line_id)  # 404 out of scope; the lot is the line's, not the form's
        return _lot_page(line.lot_id, 422, exclude_form=form, excluding=line.id)
    line = attempt(lambda: exclude_line(current_actor(), line_id, form.reason.data))
    if line is not None:
        flash(f"Ligne {line.ref} exclue du lot (motif : {line.excluded_reason}).", "success")
        return _back_to_lot(line.lot_id)
    return _back_to_lot(form.lot_id.data)


@bp.route("/lignes/<int:line_id>/reintegrer", methods=["POST"])
@roles_required(Role.COORDINATOR)
def include(line_id: int):
    form = IncludeForm()
    form.validate_on_submit()  # CSRF is checked for every POST by CSRFProtect; lot_id only says where to go back
    line = attempt(lambda: exclude_line(current_actor(), line_id, None))
    if line is not None:
        flash(f"Ligne {line.ref} réintégrée dans le lot.", "success")
        return _back_to_lot(line.lot_id)
    return _back_to_lot(form.lot_id.data)


# --- tender files -------------------------------------------------------------------------------


# --- helpers ------------------------------------------------------------------------------------


def plural(count: int, word: str) -> str:
    """'1 lot', '3 lignes' (the words of these pages take an s)."""
    return f"{count} {word}{'s' if count > 1 else ''}"


def commune_bars(rows: Sequence[CommuneShareRow], limit: int = LARGEST_COMMUNES) -> list[tuple[str, Decimal]]:
    """The largest `limit` communes (rows come largest first), then one bar for all the others."""
    bars = [(row.name, row.amount) for row in rows[:limit]]
    rest = rows[limit:]
    if rest:
        bars.append((f"Autres communes ({len(rest)})", sum((row.amount for row in rest), Decimal(0))))
    return bars


def _back_to_lot(lot_id: int | None):
    """To the top of the lot's page, where the message shows (an anchor would scroll it away)."""
    if lot_id is None:
        return redirect(url_for("campaigns.index"))
    return redirect(url_for("lots.show", lot_id=lot_id))
