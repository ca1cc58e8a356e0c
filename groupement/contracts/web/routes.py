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
    list_contracts,
)
from groupement.contracts.awards import award_lot, declare_unsuccessful, editable_contract, set_price_type
from groupement.contracts.rejections import award_document, notification_letter, record_rejections_sent
from groupement.contracts.rules import PriceType
from groupement.contracts.web import bp
from groupement.contracts.web.forms import AwardForm, PriceTypeForm, RejectionSendingForm, UnsuccessfulForm
from groupement.core import formatting, transaction
from groupement.core.access import COORDINATOR_SIDE_ROLES, Role
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.files.xlsx import UNIT_PRICE_FORMAT, Column, table_bytes
from groupement.core.french import a
from groupement.core.timeutil import paris_today
from groupement.web.access import current_actor, roles_required
from groupement.web.actions import attempt
from groupement.web.downloads import file_response, xlsx_response
from groupement.web.forms import FrenchForm, flash_errors

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
    """Edits (once) and archives the notification letter, then downloads it."""
    form = FrenchForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for("contracts.award_form", lot_id=lot_id))
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
    return render_template("contracts/index.html", contracts=list_contracts(current_actor()))


@bp.route("/contrats/<int:contract_id>")
@roles_required()
def show(contract_id: int):
    return _contract_page(contract_id)


def _contract_page(contract_id: int, price_type_form: PriceTypeForm | None = None, status: int = 200):
    """The contract's page; a refused price type form is shown again with its error beside it."""
    detail = contract_detail(current_actor(), contract_id)
    form = price_type_form or PriceTypeForm(formdata=None, data={"price_type": detail.contract.price_type.value})
    return render_template(
        "contracts/show.html",
        detail=detail,
        contract=detail.contract,
        unit_euros=unit_euros,
        today=paris_today(),
        price_type_form=form,
    ), status


@bp.route("/contrats/<int:contract_id>/type-de-prix", methods=["POST"])
@roles_required(Role.COORDINATOR)
def price_type(contract_id: int):
    editable_contract(current_actor(), contract_id)  # another coordinator's contract is not found
    form = PriceTypeForm()
    if not form.validate_on_submit():
        return _contract_page(contract_id, form, 422)
    else:
        contract = attempt(lambda: set_price_type(current_actor(), contract_id, form.price_type.data))
        if contract is not None:
            label = contract.price_type.label.lower()
            flash(f"Type de prix de l'accord-cadre n° {contract.number} enregistré : {label}.", "success")
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
