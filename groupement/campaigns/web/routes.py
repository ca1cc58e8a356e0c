"""The coordinator's side of the needs campaigns, and the campaign list every role sees."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from markupsafe import Markup
from wtforms import SelectChoice

from groupement.campaigns.board import (
    BOARD_PAGE_SIZE,
    CHART_TOP,
    campaign_board,
    coordinated_groupements,
)
from groupement.campaigns.board_file import board_xlsx
from groupement.campaigns.campaign_list import CampaignFilters, campaign_choices, campaign_list
from groupement.campaigns.campaigns import change_campaign_status, create_campaign, reopen_submission
from groupement.campaigns.grid import needs_grid
from groupement.campaigns.needs_pdf import needs_pdf_file
from groupement.campaigns.reminders import ReminderReport, remind_late_communes
from groupement.campaigns.rules import CampaignStatus
from groupement.campaigns.web.forms import ActionForm, CampaignForm, CloseForm, ReopenForm
from groupement.core import formatting, transaction
from groupement.core.access import COMMUNE_ROLES, COORDINATOR_SIDE_ROLES, Role
from groupement.core.charts import bar_chart_svg
from groupement.core.errors import NotFound, ServiceError
from groupement.web.access import current_actor, roles_required
from groupement.web.downloads import file_response, xlsx_response
from groupement.web.query import choice_arg, int_arg, kept_args, optional_id_arg, text_arg, year_arg

bp = Blueprint("campaigns", __name__, url_prefix="/campagnes")

# The coordinator acts; the other users of the coordinating organisation may read the board.


@bp.route("")
@roles_required()
def index():
    actor = current_actor()
    status = choice_arg("etat", [s.value for s in CampaignStatus])
    filters = CampaignFilters(
        search=text_arg("q"),
        status=CampaignStatus(status) if status else None,
        year=year_arg("annee"),
        groupement_id=optional_id_arg("groupement"),
    )
    args = kept_args(q=filters.search, etat=status, annee=filters.year, groupement=filters.groupement_id)
    commune_side = actor.role in COMMUNE_ROLES  # a commune never sees a campaign in preparation
    return render_template(
        "campaigns/index.html",
        overview=campaign_list(actor, filters),
        filters=filters,
        choices=campaign_choices(actor),
        statuses=[
            (s.value, s.label)
            for s in CampaignStatus
            if s is not CampaignStatus.DRAFT or actor.role not in COMMUNE_ROLES
        ],
        args=args,
        commune_side=commune_side,
    )


@bp.route("/nouvelle", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def new():
    actor = current_actor()
    form = CampaignForm()
    groupements = coordinated_groupements(actor)
    if not groupements:
        flash("Aucun groupement coordonné : impossible de créer une campagne.", "error")
        return redirect(url_for("campaigns.index"))
    form.groupement_id.choices = [SelectChoice(g.id, g.name) for g in groupements]
    if not form.is_submitted():
        form.with_defaults()
    elif form.validate():
        try:
            campaign = create_campaign(
                actor,
                form.groupement_id.data,
                form.title.data,
                form.year.data,
                form.chosen_families,
                form.opens_at_utc,
                form.closes_at_utc,
                form.instructions.data or "",
            )
        except ServiceError as error:
            transaction.discard()
            flash(str(error), "error")
        else:
            flash(
                f"Campagne « {campaign.title} » créée en préparation ({len(campaign.items)} articles). "
                "Vérifiez-la puis ouvrez-la aux communes.",
                "success",
            )
            return redirect(url_for("campaigns.board", campaign_id=campaign.id))
    # Refused (invalid form or service refusal): the form again, with what was typed.
    return render_template("campaigns/new.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/<int:campaign_id>")
@roles_required(*COORDINATOR_SIDE_ROLES)
def board(campaign_id: int):
    return board_page(campaign_id)


def board_page(campaign_id: int, status: int = 200, **refused):
    """The campaign's board; `refused` holds a posted form that was not valid (close_form,
    reopen_form with the `reopening` commune id, aggregate_form from lots/web), shown again with
    its errors beside its fields: a 422, nothing written."""
    board = campaign_board(current_actor(), campaign_id, page=int_arg("page", 1), page_size=BOARD_PAGE_SIZE)
    chart = Markup(
        bar_chart_svg(
            board.chart_bars(top=CHART_TOP),
            f"Montant estimé HT des besoins par commune — {board.campaign.title}",
            formatting.euros,
            chart_id=f"graphique-campagne-{board.campaign.id}",
        )
    )
    return render_template(
        "campaigns/board.html",
        board=board,
        chart=chart,
        action_form=ActionForm(formdata=None),
        close_form=refused.get("close_form") or CloseForm(formdata=None),
        reopen_form=refused.get("reopen_form") or ReopenForm(formdata=None),
        reopen_blank=ReopenForm(formdata=None),  # the other communes' forms stay empty
        reopening=refused.get("reopening"),
        aggregate_form=refused.get("aggregate_form"),
    ), status


@bp.route("/<int:campaign_id>/tableau.xlsx")
@roles_required(*COORDINATOR_SIDE_ROLES)
def board_export(campaign_id: int):
    board = campaign_board(current_actor(), campaign_id)
    return xlsx_response(board_xlsx(board), f"suivi-campagne-{board.campaign.id}.xlsx")


@bp.route("/<int:campaign_id>/ouvrir", methods=["POST"], endpoint="open")
@roles_required(Role.COORDINATOR)
def open_campaign(campaign_id: int):
    ActionForm().validate_on_submit()  # CSRF is checked for every POST by CSRFProtect
    return _status_change(campaign_id, "open", "Campagne ouverte : les communes peuvent saisir leurs besoins.")


@bp.route("/<int:campaign_id>/cloturer", methods=["POST"], endpoint="close")
@roles_required(Role.COORDINATOR)
def close_campaign(campaign_id: int):
    form = CloseForm()
    if not form.validate_on_submit():
        return board_page(campaign_id, 422, close_form=form)
    return _status_change(campaign_id, "close", "Campagne clôturée : la saisie est fermée pour toutes les communes.")


@bp.route("/<int:campaign_id>/relancer", methods=["POST"])
@roles_required(Role.COORDINATOR)
def remind(campaign_id: int):
    ActionForm().validate_on_submit()
    try:
        report = remind_late_communes(current_actor(), campaign_id)
    except NotFound:
        raise
    except ServiceError as error:
        transaction.discard()
        flash(str(error), "error")
    else:
        for category, message in reminder_messages(report):
            flash(message, category)
    return redirect(url_for("campaigns.board", campaign_id=campaign_id))


@bp.route("/<int:campaign_id>/communes/<int:commune_id>/rouvrir", methods=["POST"])
@roles_required(Role.COORDINATOR)
def reopen(campaign_id: int, commune_id: int):
    form = ReopenForm()
    if not form.validate_on_submit():
        return board_page(campaign_id, 422, reopen_form=form, reopening=commune_id)
    else:
        try:
            submission = reopen_submission(current_actor(), campaign_id, commune_id, form.reason.data)
        except NotFound:
            raise
        except ServiceError as error:
            transaction.discard()
            flash(str(error), "error")
        else:
            flash(
                f"Saisie rouverte pour {submission.commune.name} : la commune peut de nouveau modifier "
                "et soumettre ses besoins.",
                "success",
            )
    return redirect(url_for("campaigns.board", campaign_id=campaign_id, _anchor=f"commune-{commune_id}"))


@bp.route("/<int:campaign_id>/communes/<int:commune_id>")
@roles_required(*COORDINATOR_SIDE_ROLES)
def commune_needs(campaign_id: int, commune_id: int):
    grid = needs_grid(current_actor(), campaign_id, commune_id)
    return render_template("campaigns/commune_needs.html", grid=grid)


@bp.route("/<int:campaign_id>/communes/<int:commune_id>/etat-valide.pdf")
@roles_required(*COORDINATOR_SIDE_ROLES)
@transaction.writes_on_get
def commune_needs_pdf(campaign_id: int, commune_id: int):
    """The commune's état des besoins validé, as its signatory validated it (404 until then)."""
    content, file_name = needs_pdf_file(current_actor(), campaign_id, commune_id)
    return file_response(content, file_name, "application/pdf")


# --- helpers -----------------------------------------------------------------------------


def _status_change(campaign_id: int, action: str, success: str):
    try:
        change_campaign_status(current_actor(), campaign_id, action)
    except NotFound:
        raise
    except ServiceError as error:
        transaction.discard()
        flash(str(error), "error")
    else:
        flash(success, "success")
    return redirect(url_for("campaigns.board", campaign_id=campaign_id))


def reminder_messages(report: ReminderReport) -> list[tuple[str, str]]:
    """The French summary of a reminder round, as (category, message) flashes."""
    if not report.communes:
        return [("info", "Aucune commune en retard : toutes ont validé leurs besoins, personne n'a été relancé.")]
    skipped = set(report.communes_without_recipient) | {name for name, _ in report.too_soon}
    reminded = [name for name in report.communes if name not in skipped]
    messages = []
    if reminded:
        count, sent = len(reminded), report.messages_sent
        s = "s" if sent > 1 else ""
        how = (
            f"{sent} message{s} envoyé{s}"
            if report.delivered
            else f"{sent} message{s} journalisé{s} (mode développement, non envoyé{s})"
        )
        messages.append(
            (
                "success" if report.delivered else "info",
                f"{count} commune{'s' if count > 1 else ''} relancée{'s' if count > 1 else ''} ({how}) : "
                f"{', '.join(reminded)}.",
            )
        )
    if report.too_soon:
        count = len(report.too_soon)
        s = "s" if count > 1 else ""
        detail = ", ".join(
            f"{name} (prochaine relance possible le {formatting.datetime_fr(when)})" for name, when in report.too_soon
        )
        messages.append(
            (
                "info",
                f"{count} commune{s} déjà relancée{s} il y a moins de {report.interval}, non relancée{s} "
                f"cette fois : {detail}.",
            )
        )
    if report.communes_without_recipient:
        count = len(report.communes_without_recipient)
        messages.append(
            (
                "error",
                f"{count} commune{'s' if count > 1 else ''} en retard sans destinataire (aucun agent ni "
                f"signataire actif), non relancée{'s' if count > 1 else ''} : "
                f"{', '.join(report.communes_without_recipient)}. L'administrateur doit leur créer un compte "
                "(Administration › Utilisateurs).",
            )
        )
    return messages
