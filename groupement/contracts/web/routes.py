"""Award pages (the coordinator decides; accountant and admin read) and the framework contracts
(every role, within scope: a member commune orders under them). The savings pages are
groupement/savings/web.py."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency
from flask import flash, redirect, render_template, url_for
from wtforms import SelectChoice

from groupement.contracts.award_queries import (
    AwardPage,
    award_page,
    contract_detail,
    contract_prices_table,
)
from groupement.contracts.awards import (
    award_lot,
    declare_unsuccessful,
    editable_contract,
    set_nature,
    set_price_type,
)
from groupement.contracts.lists import ContractFilters, contract_choices, contracts_page
from groupement.contracts.rejections import award_document, notification_letter, record_rejections_sent
from groupement.contracts.rules import PriceType
from groupement.contracts.web import bp
from groupement.contracts.web.forms import AwardForm, NatureForm, PriceTypeForm, RejectionSendingForm, UnsuccessfulForm
from groupement.core import formatting, transaction
from groupement.core.access import COORDINATOR_SIDE_ROLES, Role
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.files.xlsx import UNIT_PRICE_FORMAT, Column, table_bytes
from groupement.core.french import a
from groupement.core.timeutil import paris_today
from groupement.web.access import current_actor, roles_required
from groupement.web.actions import attempt
from groupement.web.downloads import file_response, xlsx_response
from groupement.web.query import kept_args, optional_id_arg, text_arg, year_arg

# --- award ------------------------------------------------------------------------------------------


@bp.route("/lots/<int:lot_id>/attribution")
@roles_required(*COORDINATOR_SIDE_ROLES)
def award_form(lot_id: int):
    page = award_page(current_actor(), lot_id)
    form = AwardForm(data={"offer_id": page.retained_offer_id})
    return _render_award(page, form)


@bp.route("/lots/<int:lot_id>/attribution", methods=["POST"])
@roles_required(Role.COORDINATOR)
def award(lot_id: int):
    actor = current_actor()
    page = award_page(actor, lot_id)
    form = AwardForm()
    _offer_choices(form, page)
    if not form.validate_on_submit():
        return _render_award(page, form), 422
    try:
        contract = award_lot(
            actor,
            lot_id,
            form.offer_id.data,
            form.justification.data or "",
            form.start_date.data,
            form.notified_on.data,
            form.number.data,
            origin_eu_percent=form.origin_eu_percent.data,
            origin_france_percent=form.origin_france_percent.data,
            price_type=form.price_type.data or PriceType.FERME,
        )
    except (NotFound, Forbidden):
        raise
    except ServiceError as error:
        transaction.discard()
        flash(str(error), "error")
        return _render_award(award_page(actor, lot_id), form), 422
    flash(
        f"Lot n° {page.lot.number} attribué {a(contract.supplier.name)} : accord-cadre n° {contract.number}, "
        f"notifié le {formatting.date_fr(contract.notified_on)}, "
        f"montant maximum {formatting.euros(contract.maximum_amount)} HT.",
        "success",
    )
    return redirect(url_for("contracts.show", contract_id=contract.id))


@bp.route("/lots/<int:lot_id>/infructueux", methods=["POST"])
@roles_required(Role.COORDINATOR)
def unsuccessful(lot_id: int):
    form = UnsuccessfulForm()
    if not form.validate_on_submit():
        page = award_page(current_actor(), lot_id)  # 404 out of scope
        award = AwardForm(formdata=None, data={"offer_id": page.retained_offer_id})
        return _render_award(page, award, unsuccessful_form=form), 422
    try:
        decision = declare_unsuccessful(current_actor(), lot_id, form.reason.data)
    except (NotFound, Forbidden):
        raise
    except ServiceError as error:
        transaction.discard()
        flash(str(error), "error")
    else:
        flash(f"Lot n° {decision.lot.number} déclaré infructueux.", "success")
    return redirect(url_for("contracts.award_form", lot_id=lot_id))


@bp.route("/lots/<int:lot_id>/attribution/lettres-de-rejet", methods=["POST"])
@roles_required(Role.COORDINATOR)
def rejections_sent(lot_id: int):
    actor = current_actor()
    page = award_page(actor, lot_id)
    form = RejectionSendingForm(prefix=REJECTION_PREFIX)
    _offer_choices(form, page)
    if not form.validate_on_submit():
        return _render_award(page, AwardForm(formdata=None, data={"offer_id": page.retained_offer_id}), form), 422
    try:
        sending = record_rejections_sent(
            actor,
            lot_id,
            form.offer_id.data,
            form.justification.data or "",
            form.sent_on.data,
            electronic=form.means.data != "paper",
        )
    except (NotFound, Forbidden):
        raise
    except ServiceError as error:
        transaction.discard()
        flash(str(error), "error")
        page = award_page(actor, lot_id)
        return _render_award(page, AwardForm(formdata=None, data={"offer_id": page.retained_offer_id}), form), 422
    if sending.standstill_last_day:
        flash(
            f"Envoi des lettres de rejet enregistré au {formatting.date_fr(sending.sent_on)} : le délai de suspension "
            f"court jusqu'au {formatting.date_fr(sending.standstill_last_day)} inclus.",
            "success",
        )
    else:
        flash(f"Envoi des lettres de rejet enregistré au {formatting.date_fr(sending.sent_on)}.", "success")
    return redirect(url_for("contracts.award_form", lot_id=lot_id) + "#lettres")


@bp.route("/lots/<int:lot_id>/attribution/documents/<int:document_id>")
@roles_required(*COORDINATOR_SIDE_ROLES)
def award_letter(lot_id: int, document_id: int):
    document = award_document(current_actor(), lot_id, document_id)
    return file_response(document.content, document.file_name, document.media_type)


@bp.route("/lots/<int:lot_id>/attribution/notification", methods=["POST"])
@roles_required(Role.COORDINATOR)
def notification(lot_id: int):
    """Edits (once) and archives the notification letter, then downloads it. The button's form has
    no field but its CSRF token, which CSRFProtect checks before this view (a 400, nothing archived)."""
    document = notification_letter(current_actor(), lot_id)
    return redirect(url_for("contracts.award_letter", lot_id=lot_id, document_id=document.id))


REJECTION_PREFIX = "rejet"  # the award form is on the same page: distinct field names and ids


def _offer_choices(form: AwardForm | RejectionSendingForm, page: AwardPage) -> None:
    form.offer_id.choices = [
        SelectChoice(
            row.offer_id,
            f"{row.supplier_name}{' (variante)' if row.is_variant else ''} — {formatting.euros(row.total_ht)} HT",
        )
        for row in page.ranking
    ]


def _render_award(
    page: AwardPage,
    form: AwardForm,
    rejection_form: RejectionSendingForm | None = None,
    unsuccessful_form: UnsuccessfulForm | None = None,
):
    _offer_choices(form, page)
    if rejection_form is None:
        rejection_form = RejectionSendingForm(
            formdata=None,
            prefix=REJECTION_PREFIX,
            data={"offer_id": page.best_offer_id, "sent_on": paris_today(), "means": "electronic"},
        )
    _offer_choices(rejection_form, page)
    if not form.number.data:
        form.number.render_kw = {"placeholder": page.default_number}
    return render_template(
        "contracts/award.html",
        page=page,
        lot=page.lot,
        form=form,
        unsuccessful_form=unsuccessful_form or UnsuccessfulForm(formdata=None),
        rejection_form=rejection_form,
    )


# --- contracts ----------------------------------------------------------------------------------------


@bp.route("/contrats")
@roles_required()
def index():
    actor = current_actor()
    filters = ContractFilters(
        search=text_arg("q"),
        campaign_id=optional_id_arg("campagne"),
        supplier_id=optional_id_arg("titulaire"),
        year=year_arg("annee"),
    )
    args = kept_args(q=filters.search, campagne=filters.campaign_id, titulaire=filters.supplier_id, annee=filters.year)
    return render_template(
        "contracts/index.html",
        pagination=contracts_page(actor, filters),
        filters=filters,
        choices=contract_choices(actor),
        args=args,
    )


@bp.route("/contrats/<int:contract_id>")
@roles_required()
def show(contract_id: int):
    return _contract_page(contract_id)


def _contract_page(contract_id: int, refused: PriceTypeForm | NatureForm | None = None, status: int = 200):
    """The contract's page; a refused select (price type, nature) is shown again with its error
    beside it, the other one as saved."""
    detail = contract_detail(current_actor(), contract_id)
    saved_price_type = PriceTypeForm(formdata=None, data={"price_type": detail.contract.price_type.value})
    saved_nature = NatureForm(formdata=None, data={"nature": detail.contract.nature.value})
    return render_template(
        "contracts/show.html",
        detail=detail,
        contract=detail.contract,
        unit_euros=unit_euros,
        today=paris_today(),
        price_type_form=refused if isinstance(refused, PriceTypeForm) else saved_price_type,
        nature_form=refused if isinstance(refused, NatureForm) else saved_nature,
    ), status


@bp.route("/contrats/<int:contract_id>/type-de-prix", methods=["POST"])
@roles_required(Role.COORDINATOR)
def price_type(contract_id: int):
    saved = "Type de prix de l'accord-cadre n° {number} enregistré : {label}."
    return _save_choice(contract_id, PriceTypeForm(), "price_type", set_price_type, saved)


@bp.route("/contrats/<int:contract_id>/nature", methods=["POST"])
@roles_required(Role.COORDINATOR)
def nature(contract_id: int):
    saved = "Nature de l'accord-cadre n° {number} enregistrée : {label}."
    return _save_choice(contract_id, NatureForm(), "nature", set_nature, saved)


def _save_choice(contract_id: int, form, name: str, save, saved: str):
    """One select of the contract page (price type, nature), saved by its service, back to the page."""
    editable_contract(current_actor(), contract_id)  # another coordinator's contract is not found
    if not form.validate_on_submit():
        return _contract_page(contract_id, form, 422)
    else:
        contract = attempt(lambda: save(current_actor(), contract_id, form[name].data))
        if contract is not None:
            flash(saved.format(number=contract.number, label=getattr(contract, name).label.lower()), "success")
    return redirect(url_for("contracts.show", contract_id=contract_id))


@bp.route("/contrats/<int:contract_id>/prix.xlsx")
@roles_required()
def export_prices(contract_id: int):
    detail = contract_detail(current_actor(), contract_id)
    header, rows = contract_prices_table(detail)
    widths = (16, 48, 12, 16, 16, 10)
    formats = (None, None, None, UNIT_PRICE_FORMAT, UNIT_PRICE_FORMAT, "0.00")
    columns = [Column(title, width, fmt) for title, width, fmt in zip(header, widths, formats, strict=True)]
    content = table_bytes(f"Prix {detail.contract.number}", columns, rows)
    return xlsx_response(content, f"prix-contrat-{detail.contract.number}.xlsx")


def unit_euros(amount: Decimal | None) -> str:
    """A unit price keeps its 3rd and 4th decimals when it has them: 0,3333 €, 4,20 €."""
    if amount is None:
        return "—"
    return format_currency(amount, "EUR", locale=formatting.LOCALE, format="#,##0.00##\u00a0¤", currency_digits=False)
