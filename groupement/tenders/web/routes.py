"""Suppliers, the offers of a lot (import of the priced DQE, key-in), criteria, scores and the
analysis report. The coordinator writes; accountant and admin read; commune users get 403."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from wtforms import SelectChoice

from groupement.core import transaction
from groupement.core.access import COORDINATOR_SIDE_ROLES, Role
from groupement.core.errors import Forbidden, ImportRejected, NotFound, ServiceError
from groupement.core.formatting import euros, number
from groupement.core.imports import ImportIssue
from groupement.core.types import UnitPrice
from groupement.tenders import analysis_report, offer_criteria, offer_queries
from groupement.tenders import offers as offer_service
from groupement.tenders.suppliers import (
    FIELDS,
    SupplierData,
    create_supplier,
    get_supplier,
    list_suppliers,
    suppliers_page,
    update_supplier,
)
from groupement.tenders.tender_layout import ECO, UNIT_PRICE
from groupement.tenders.web import bp
from groupement.tenders.web.forms import CriteriaForm, KeyInForm, OfferImportForm, ScoreForm, SupplierForm
from groupement.tenders.web.sirene_fill import FILL_BUTTON, fill_from_siret, fill_requested
from groupement.web.access import current_actor, roles_required
from groupement.web.actions import attempt
from groupement.web.downloads import file_response, xlsx_response
from groupement.web.forms import parse_bounded_decimal
from groupement.web.query import text_arg

# --- suppliers ----------------------------------------------------------------------------------


@bp.route("/fournisseurs")
@roles_required(*COORDINATOR_SIDE_ROLES)
def suppliers():
    search = text_arg("q")
    page = suppliers_page(current_actor(), search)
    return render_template("tenders/suppliers.html", suppliers=page.items, pagination=page, search=search)


@bp.route("/fournisseurs/nouveau", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def new_supplier():
    form = SupplierForm()
    if fill_requested():
        fill_from_siret(form)
        return render_template("tenders/supplier_form.html", form=form, supplier=None, fill=FILL_BUTTON)
    if form.validate_on_submit():
        supplier = attempt(lambda: create_supplier(current_actor(), _supplier_data(form)))
        if supplier is not None:
            flash(f"Fournisseur « {supplier.name} » créé (SIRET {supplier.siret}).", "success")
            return redirect(url_for("offers.suppliers"))
    status = 422 if request.method == "POST" else 200
    return render_template("tenders/supplier_form.html", form=form, supplier=None, fill=FILL_BUTTON), status


@bp.route("/fournisseurs/<int:supplier_id>/modifier", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def edit_supplier(supplier_id: int):
    supplier = get_supplier(current_actor(), supplier_id)
    form = SupplierForm(obj=supplier)
    if fill_requested():
        fill_from_siret(form)
        return render_template("tenders/supplier_form.html", form=form, supplier=supplier, fill=FILL_BUTTON)
    if form.validate_on_submit():
        saved = attempt(lambda: update_supplier(current_actor(), supplier_id, _supplier_data(form)))
        if saved is not None:
            flash(f"Fournisseur « {saved.name} » enregistré.", "success")
            return redirect(url_for("offers.suppliers"))
    status = 422 if request.method == "POST" else 200
    return render_template("tenders/supplier_form.html", form=form, supplier=supplier, fill=FILL_BUTTON), status


def _supplier_data(form: SupplierForm) -> SupplierData:
    return SupplierData(**{name: getattr(form, name).data or "" for name in FIELDS})


# --- the offers of a lot ------------------------------------------------------------------------


@bp.route("/lots/<int:lot_id>/offres")
@roles_required(*COORDINATOR_SIDE_ROLES)
def index(lot_id: int):
    return _offers_page(lot_id, OfferImportForm())


@bp.route("/lots/<int:lot_id>/offres/import", methods=["POST"])
@roles_required(Role.COORDINATOR)
def import_file(lot_id: int):
    form = OfferImportForm()
    _supplier_choices(form)
    if not form.validate_on_submit():
        return _offers_page(lot_id, form, status=422)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    storage = form.file.data
    try:
        recorded = offer_service.import_offer(
            current_actor(),
            lot_id,
            form.supplier_id.data,
            storage.filename or "offre.xlsx",
            storage.read(limit + 1),
            is_variant=form.is_variant.data,
            max_bytes=limit,
        )
    except ImportRejected as rejected:
        flash(str(rejected), "error")
        return _offers_page(lot_id, form, issues=rejected.issues, status=422)
    except (NotFound, Forbidden):
        raise
    except ServiceError as refused:
        transaction.discard()
        flash(str(refused), "error")
        return _offers_page(lot_id, form, status=422)
    _flash_recorded(recorded, "importée")
    return redirect(url_for("offers.index", lot_id=lot_id))


@bp.route("/lots/<int:lot_id>/offres/saisie", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def key_in(lot_id: int):
    data = offer_queries.lot_offers(current_actor(), lot_id)
    form = KeyInForm()
    _supplier_choices(form)
    issues: list[ImportIssue] = []
    if form.validate_on_submit():
        prices, issues = _typed_prices(data.lines)
        if not issues:
            try:
                recorded = offer_service.key_in_offer(
                    current_actor(), lot_id, form.supplier_id.data, prices, is_variant=form.is_variant.data
                )
            except ImportRejected as rejected:
                flash(str(rejected), "error")
                issues = rejected.issues
            except (NotFound, Forbidden):
                raise
            except ServiceError as refused:
                transaction.discard()
                flash(str(refused), "error")
            else:
                _flash_recorded(recorded, "saisie")
                return redirect(url_for("offers.index", lot_id=lot_id))
        else:
            flash(f"Offre refusée : {_count(len(issues), 'erreur')}, rien n'a été enregistré.", "error")
    status = 422 if request.method == "POST" else 200
    wrong = {(issue.row, issue.column) for issue in issues}
    return render_template("tenders/key_in.html", data=data, form=form, issues=issues, wrong=wrong), status


def _typed_prices(lines) -> tuple[dict, list[ImportIssue]]:
    """The grid's cells, French decimals ('12,50'); an unreadable one is listed with its line number."""
    prices, issues = {}, []
    for position, line in enumerate(lines, start=1):
        values = []
        for prefix, column in (("prix", UNIT_PRICE), ("eco", ECO)):
            raw = (request.form.get(f"{prefix}-{line.id}") or "").strip()
            try:
                values.append(parse_bounded_decimal(raw, UnitPrice, f"« {raw[:30]} » n'est pas un nombre"))
            except ValueError as error:
                issues.append(ImportIssue(offer_service.KEYED_IN, position, column, f"{line.ref} : {error}"))
                values.append(None)
        prices[line.id] = tuple(values)
    return prices, issues


def _flash_recorded(recorded, verb: str) -> None:
    offer = recorded.offer
    kind = "Offre variante" if offer.is_variant else "Offre"
    done = "remplacée" if recorded.replaced else verb
    flash(
        f"{kind} de « {offer.supplier.name} » {done} : total DQE recalculé {euros(offer.total_ht)} HT.",
        "success",
    )
    for warning in recorded.warnings:
        flash(warning, "warning")


def _offers_page(
    lot_id: int, form: OfferImportForm, issues=(), status: int = 200, criteria_form: CriteriaForm | None = None
):
    """The offers of a lot; a refused criteria form is shown again with its errors beside its fields."""
    data = offer_queries.lot_offers_page(current_actor(), lot_id)
    _supplier_choices(form)
    criteria = data.criteria
    criteria_form = criteria_form or CriteriaForm(
        data={
            "price_weight": criteria.price_weight if criteria else None,
            "technical_weight": criteria.technical_weight if criteria else None,
            "environmental_weight": criteria.environmental_weight if criteria else None,
            "abnormally_low_percent": criteria.abnormally_low_percent if criteria else 70,
        },
        formdata=None,
    )
    page = render_template(
        "tenders/index.html",
        data=data,
        form=form,
        criteria_form=criteria_form,
        issues=list(issues),
    )
    return page, status


def _supplier_choices(form) -> None:
    suppliers = list_suppliers(current_actor())
    form.supplier_id.choices = [SelectChoice("", "Choisissez…")] + [
        SelectChoice(s.id, f"{s.name} ({s.siret})") for s in suppliers
    ]


# --- criteria, scores ---------------------------------------------------------------------------


@bp.route("/lots/<int:lot_id>/criteres", methods=["POST"])
@roles_required(Role.COORDINATOR)
def criteria(lot_id: int):
    form = CriteriaForm()
    if not form.validate_on_submit():
        return _offers_page(lot_id, OfferImportForm(formdata=None), status=422, criteria_form=form)
    else:
        saved = attempt(
            lambda: offer_criteria.set_criteria(
                current_actor(),
                lot_id,
                form.price_weight.data,
                form.technical_weight.data,
                form.environmental_weight.data,
                form.abnormally_low_percent.data,
            )
        )
        if saved is not None:
            flash(
                f"Critères enregistrés : prix {number(saved.price_weight)}, valeur technique "
                f"{number(saved.technical_weight)}, environnement {number(saved.environmental_weight)}.",
                "success",
            )
    return redirect(url_for("offers.index", lot_id=lot_id) + "#criteres")


@bp.route("/offres/<int:offer_id>")
@roles_required(*COORDINATOR_SIDE_ROLES)
def show(offer_id: int):
    offer, data = offer_queries.offer_detail(current_actor(), offer_id)
    form = ScoreForm(obj=offer, formdata=None)
    return render_template("tenders/show.html", offer=offer, data=data, form=form)


@bp.route("/offres/<int:offer_id>/notes", methods=["POST"])
@roles_required(Role.COORDINATOR)
def score(offer_id: int):
    offer, data = offer_queries.offer_detail(current_actor(), offer_id)
    form = ScoreForm()
    if form.validate_on_submit():
        saved = attempt(
            lambda: offer_criteria.score_offer(
                current_actor(),
                offer_id,
                form.technical_score.data,
                form.technical_justification.data or "",
                form.environmental_score.data,
                form.environmental_justification.data or "",
            )
        )
        if saved is not None:
            flash(f"Notes de l'offre de « {offer.supplier.name} » enregistrées.", "success")
            return redirect(url_for("offers.analysis", lot_id=offer.lot_id))
    # Refused: each error beside its field (the service's refusal, in the banner).
    return render_template("tenders/show.html", offer=offer, data=data, form=form), 422


# --- the analysis report ------------------------------------------------------------------------


@bp.route("/lots/<int:lot_id>/analyse")
@roles_required(*COORDINATOR_SIDE_ROLES)
def analysis(lot_id: int):
    report = offer_queries.analysis(current_actor(), lot_id)
    return render_template("tenders/analysis.html", report=report)


@bp.route("/lots/<int:lot_id>/analyse.xlsx")
@roles_required(*COORDINATOR_SIDE_ROLES)
def analysis_export(lot_id: int):
    report = analysis_report.analysis_report(current_actor(), lot_id)
    return xlsx_response(analysis_report.report_xlsx(report), offer_queries.analysis_file_name(report.analysis))


@bp.route("/lots/<int:lot_id>/analyse.pdf", methods=["POST"])
@roles_required(Role.COORDINATOR)
def analysis_pdf(lot_id: int):
    """Edits the report as PDF, archives it with the lot, and downloads it. The button's form has
    no field but its CSRF token, which CSRFProtect checks before this view (a 400, nothing archived)."""
    document = analysis_report.archived_report_pdf(current_actor(), lot_id)
    return file_response(document.content, document.file_name, document.media_type)


# --- helpers ------------------------------------------------------------------------------------


def _count(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count > 1 else ''}"
