"""Invoices pages. The accountants (and the coordinator, the admin) import, match, resolve,
split and recover; a commune's users read their own statements and ledger, nothing else."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for

from groupement.contracts.order_pdf import unit_euros
from groupement.core import formatting, transaction
from groupement.core.access import COMMUNE_ROLES, COORDINATOR_SIDE_ROLES
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.french import de
from groupement.core.timeutil import paris_today
from groupement.invoices import board_page, importing, invoice_file, ledgers, matching, pages, splitting
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.document_types import document_type
from groupement.invoices.ledger_page import ledger_page
from groupement.invoices.statement_file import statement_pdf_file as statement_pdf_of
from groupement.invoices.statements import invoices_board_xlsx, statement_xlsx
from groupement.invoices.states import CheckResolution, InvoiceStatus
from groupement.invoices.web import bp
from groupement.invoices.web.board_rows import board_rows_markup
from groupement.invoices.web.forms import (
    ActionForm,
    RejectForm,
    ResolveForm,
    SearchForm,
    UploadForm,
    split_form,
)
from groupement.invoices.web.title_forms import CancelTitleForm, PaymentForm, TitlesForm
from groupement.web.access import current_actor, roles_required
from groupement.web.actions import attempt
from groupement.web.downloads import file_response, xlsx_response
from groupement.web.row_urls import url_pattern

TITLE_DELAY = timedelta(days=30)


@bp.context_processor
def invoice_helpers():
    # Unit prices keep their 3rd and 4th decimals (a revised price: 125,9685 €), amounts are to the cent.
    return {"key_label": lambda value: AllocationKey(value).label, "unit_euros": unit_euros}


# --- the board ------------------------------------------------------------------------------------


@bp.route("/factures")
@roles_required(*COORDINATOR_SIDE_ROLES)
def board():
    return _board_page(UploadForm())


def _board_page(upload: UploadForm, reasons: list[str] | None = None, file_name: str = "", status: int = 200):
    search = SearchForm(request.args)
    search.validate()
    board = board_page.invoice_board(current_actor(), search.status(), search.q.data or "", search.official_blocked())
    return (
        render_template(
            "invoices/board.html",
            board=board,
            titles_waiting=board.counts.get(InvoiceStatus.SPLIT, 0),
            search=search,
            upload=upload,
            reasons=reasons or [],
            rejected_file=file_name,
            # The rows in one format string each, their links from one url_for each.
            board_rows=board_rows_markup(
                url_pattern("invoices.show", "invoice_id"), url_pattern("invoices.contract", "contract_id")
            ),
        ),
        status,
    )


@bp.route("/factures/export.xlsx")
@roles_required(*COORDINATOR_SIDE_ROLES)
def board_export():
    search = SearchForm(request.args)
    search.validate()
    rows = board_page.board_rows(current_actor(), search.status(), search.q.data or "", search.official_blocked())
    return xlsx_response(invoices_board_xlsx(rows), "factures.xlsx")


@bp.route("/factures/import", methods=["POST"])
@roles_required(*COORDINATOR_SIDE_ROLES)
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return _board_page(form, status=422)
    storage = form.file.data
    file_name = storage.filename or "facture"
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    try:
        invoice = importing.import_invoice(current_actor(), file_name, storage.read(limit + 1))
    except importing.InvoiceRejected as rejected:
        flash(str(rejected), "error")
        return _board_page(form, reasons=list(rejected.reasons), file_name=rejected.file_name, status=422)
    except (NotFound, Forbidden):
        raise
    except ServiceError as refused:
        transaction.discard()
        flash(str(refused), "error")
        return _board_page(form, status=422)
    flash(
        f"{invoice.kind.label.capitalize()} n° {invoice.number} {de(invoice.supplier_name)} importée : "
        f"{formatting.euros(invoice.total_ttc)} TTC, {len(invoice.lines)} ligne(s). "
        "Rapprochez-la des commandes puis répartissez-la.",
        "success",
    )
    return redirect(url_for("invoices.show", invoice_id=invoice.id))


# --- one invoice -----------------------------------------------------------------------------------


@bp.route("/factures/<int:invoice_id>")
@roles_required(*COORDINATOR_SIDE_ROLES)
def show(invoice_id: int):
    page = pages.invoice_page(current_actor(), invoice_id)
    communes = [(c.insee_code, c.name) for c in page.members]
    form = split_form(communes, data={"key": AllocationKey.AMOUNT.value})
    return _invoice_page(page, form)


@bp.route("/factures/<int:invoice_id>/facture.pdf")
@roles_required(*COORDINATOR_SIDE_ROLES)
def invoice_pdf_file(invoice_id: int):
    content, file_name = invoice_file.invoice_pdf(current_actor(), invoice_id)
    return file_response(content, file_name, "application/pdf")


def _invoice_page(page: pages.InvoicePage, form, status: int = 200, **refused):
    """The invoice page; `refused` holds a posted form that was not valid (resolve_form with the
    `resolving` check id, reject_form, titles_form, payment_form with the `paying` title id,
    cancel_form with the `cancelling` title id), shown again with its errors beside its fields."""
    today = paris_today()
    return (
        render_template(
            "invoices/show.html",
            page=page,
            invoice=page.invoice,
            split=form,
            action_form=ActionForm(),
            resolve_form=refused.get("resolve_form") or ResolveForm(formdata=None),
            resolve_blank=ResolveForm(formdata=None),  # the other anomalies' forms stay empty
            resolving=refused.get("resolving"),
            reject_form=refused.get("reject_form") or RejectForm(formdata=None),
            titles_form=refused.get("titles_form") or TitlesForm(formdata=None, data={"due_date": today + TITLE_DELAY}),
            payment_form=refused.get("payment_form") or PaymentForm(formdata=None, data={"paid_on": today}),
            payment_blank=PaymentForm(formdata=None, data={"paid_on": today}),  # the other titles' forms stay empty
            paying=refused.get("paying"),
            cancel_form=refused.get("cancel_form") or CancelTitleForm(formdata=None),
            cancel_blank=CancelTitleForm(formdata=None),
            cancelling=refused.get("cancelling"),
            keys=list(AllocationKey),
            today_iso=today.isoformat(),
            kept_pdf=invoice_file.kept_pdf(page.invoice),
            document_type=document_type(page.invoice.type_code),
        ),
        status,
    )


def refused_page(invoice_id: int, **refused):
    """A form of the invoice page posted with errors: the page again (422), nothing written."""
    shown = refused.get("paying") or refused.get("cancelling")
    page = pages.invoice_page(current_actor(), invoice_id, title_shown=shown)
    communes = [(c.insee_code, c.name) for c in page.members]
    split = split_form(communes, formdata=None, data={"key": AllocationKey.AMOUNT.value})
    return _invoice_page(page, split, status=422, **refused)


@bp.route("/factures/<int:invoice_id>/rapprocher", methods=["POST"])
@roles_required(*COORDINATOR_SIDE_ROLES)
def match(invoice_id: int):
    ledgers.invoice_detail(current_actor(), invoice_id)  # 404 out of scope, before anything else
    if ActionForm().validate_on_submit():
        report = attempt(lambda: matching.match_invoice(current_actor(), invoice_id))
        if report is not None:
            flash(
                f"Rapprochement fait : {report.matched} ligne(s) rattachée(s) à une commande, "
                f"{report.unmatched} sans commande, {report.mismatches} écart(s) avec le marché.",
                "warning" if report.mismatches or report.unmatched else "success",
            )
    return redirect(url_for("invoices.show", invoice_id=invoice_id))


@bp.route("/factures/controles/<int:check_id>", methods=["POST"])
@roles_required(*COORDINATOR_SIDE_ROLES)
def resolve(check_id: int):
    form = ResolveForm()
    check = pages.check_of(current_actor(), check_id)  # 404 for an unknown check, before anything else
    if not form.validate_on_submit():
        return refused_page(check.invoice_id, resolve_form=form, resolving=check.id)
    else:
        resolution = CheckResolution.DISPUTED if form.dispute.data else CheckResolution.ACCEPTED
        resolved = attempt(lambda: matching.resolve_check(current_actor(), check_id, resolution, form.comment.data))
        if resolved is not None:
            flash(
                f"Anomalie {resolved.rule} : "
                f"{'litige ouvert' if resolution is CheckResolution.DISPUTED else 'acceptée avec votre commentaire'}.",
                "warning" if resolution is CheckResolution.DISPUTED else "success",
            )
    return redirect(url_for("invoices.show", invoice_id=check.invoice_id, _anchor="controles"))


@bp.route("/factures/<int:invoice_id>/rejeter", methods=["POST"])
@roles_required(*COORDINATOR_SIDE_ROLES)
def reject(invoice_id: int):
    ledgers.invoice_detail(current_actor(), invoice_id)  # 404 out of scope, before anything else
    form = RejectForm()
    if not form.validate_on_submit():
        return refused_page(invoice_id, reject_form=form)
    else:
        rejected = attempt(lambda: matching.reject_invoice(current_actor(), invoice_id, form.reason.data))
        if rejected is not None:
            flash(f"Facture n° {rejected.number} rejetée : elle ne sera ni répartie ni titrée.", "warning")
    return redirect(url_for("invoices.show", invoice_id=invoice_id))


@bp.route("/factures/<int:invoice_id>/repartir", methods=["POST"])
@roles_required(*COORDINATOR_SIDE_ROLES)
def split(invoice_id: int):
    actor = current_actor()
    ledgers.invoice_detail(current_actor(), invoice_id)  # 404 out of scope, before anything else
    form = split_form([(c.insee_code, c.name) for c in pages.member_communes(actor)])
    if not form.validate_on_submit():
        return _invoice_page(pages.invoice_page(actor, invoice_id), form, status=422)
    key = AllocationKey(form.key.data)
    result = attempt(
        lambda: splitting.split_invoice(actor, invoice_id, key, list(form.communes.data), form.manual_percents())
    )
    if result is not None:
        flash(
            f"Facture répartie {key.label} : {formatting.euros(result.total_ttc)} TTC entre "
            f"{sum(1 for s in result.communes if s.ht or s.total_vat)} commune(s).",
            "success",
        )
    return redirect(url_for("invoices.show", invoice_id=invoice_id, _anchor="repartition"))


# --- statements --------------------------------------------------------------------------------------


@bp.route("/factures/<int:invoice_id>/communes/<int:commune_id>")
@roles_required()
def statement(invoice_id: int, commune_id: int):
    document, stem = pages.statement_document(current_actor(), invoice_id, commune_id)
    return render_template(
        "invoices/statement.html", document=document, stem=stem, invoice_id=invoice_id, commune_id=commune_id
    )


@bp.route("/factures/<int:invoice_id>/communes/<int:commune_id>/etat.xlsx")
@roles_required()
def statement_xlsx_file(invoice_id: int, commune_id: int):
    document, stem = pages.statement_document(current_actor(), invoice_id, commune_id)
    return xlsx_response(statement_xlsx(document), f"{stem}.xlsx")


@bp.route("/factures/<int:invoice_id>/communes/<int:commune_id>/etat.pdf")
@roles_required()
@transaction.writes_on_get
def statement_pdf_file(invoice_id: int, commune_id: int):
    content, file_name = statement_pdf_of(current_actor(), invoice_id, commune_id)
    return file_response(content, file_name, "application/pdf")


# --- reconciliation and ledgers ---------------------------------------------------------------------


@bp.route("/factures/contrats/<int:contract_id>")
@roles_required(*COORDINATOR_SIDE_ROLES)
def contract(contract_id: int):
    actor = current_actor()
    reconciliation = ledgers.contract_reconciliation(actor, contract_id)
    return render_template(
        "invoices/contract.html",
        rec=reconciliation,
        contract=reconciliation.contract,
        invoices=pages.contract_invoices(actor, contract_id),
    )


@bp.route("/communes/<int:commune_id>/grand-livre")
@roles_required(*COORDINATOR_SIDE_ROLES)
def ledger(commune_id: int):
    return _ledger_page(commune_id, own=False)


@bp.route("/ma-commune/factures")
@roles_required(*COMMUNE_ROLES)
def my_commune():
    return _ledger_page(current_actor().organisation_id, own=True)


LEDGER_PAGES = ("page", "page_titres", "page_encaissements")  # the page's three lists, each in pages


def _ledger_page(commune_id: int, own: bool):
    """The commune's ledger: its invoices, titles and payments, each list paged in SQL (the totals
    are the whole ledger's, summed by the database)."""
    page = ledger_page(current_actor(), commune_id)
    lists = dict(zip(LEDGER_PAGES, (page.rows, page.titles, page.payments), strict=True))
    args = {name: listed.page for name, listed in lists.items() if listed.page > 1}
    if not own:
        args["commune_id"] = commune_id
    return render_template(
        "invoices/ledger.html",
        ledger=page,
        lists=lists,
        args=args,
        endpoint="invoices.my_commune" if own else "invoices.ledger",
        own=own,
    )


# --- helpers --------------------------------------------------------------------------------------------
