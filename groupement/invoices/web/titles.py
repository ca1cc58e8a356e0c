"""The recovery titles pages: issuing an invoice's titles, recording a payment, cancelling a title
by a counter-title, and the titles exported for the accounting software. These routes join the
invoices blueprint from here (endpoints `invoices.*`); they are shown on the invoice's page."""

from __future__ import annotations

from decimal import Decimal

from flask import flash, redirect, render_template, url_for

from groupement.core import formatting
from groupement.core.access import COORDINATOR_SIDE_ROLES
from groupement.invoices import ledgers, pages, recovery, title_list
from groupement.invoices.statements import titles_csv, titles_xlsx
from groupement.invoices.web import bp
from groupement.invoices.web.routes import refused_page
from groupement.invoices.web.title_forms import CancelTitleForm, PaymentForm, TitlesForm
from groupement.web.access import current_actor, roles_required
from groupement.web.actions import attempt
from groupement.web.downloads import file_response, xlsx_response
from groupement.web.query import choice_arg, id_arg, kept_args, optional_id_arg, text_arg, year_arg


@bp.route("/factures/<int:invoice_id>/titres", methods=["POST"])
@roles_required(*COORDINATOR_SIDE_ROLES)
def issue_titles(invoice_id: int):
    ledgers.invoice_detail(current_actor(), invoice_id)  # 404 out of scope, before anything else
    form = TitlesForm()
    if not form.validate_on_submit():
        return refused_page(invoice_id, titles_form=form)
    else:
        titles = attempt(lambda: recovery.issue_recovery_titles(current_actor(), invoice_id, form.due_date.data))
        if titles is not None:
            total = sum((t.amount_ttc for t in titles), Decimal(0))
            flash(
                f"{len(titles)} titre(s) de recettes émis pour {formatting.euros(total)}, "
                f"échéance le {formatting.date_fr(form.due_date.data)}.",
                "success",
            )
    return redirect(url_for("invoices.show", invoice_id=invoice_id, _anchor="titres"))


@bp.route("/factures/titres/<int:title_id>/encaissement", methods=["POST"])
@roles_required(*COORDINATOR_SIDE_ROLES)
def record_payment(title_id: int):
    actor = current_actor()
    title = pages.title_of(actor, title_id)  # 404 for an unknown title, before anything else
    number, invoice_id = title.number, title.invoice_id
    form = PaymentForm()
    if not form.validate_on_submit():
        return refused_page(invoice_id, payment_form=form, paying=title_id)
    else:
        payment = attempt(
            lambda: recovery.record_payment(
                actor, title_id, form.paid_on.data, form.amount.data, form.reference.data or ""
            )
        )
        if payment is not None:
            flash(f"Encaissement de {formatting.euros(payment.amount)} enregistré sur le titre {number}.", "success")
    return redirect(url_for("invoices.show", invoice_id=invoice_id, _anchor="titres"))


@bp.route("/factures/titres/<int:title_id>/annulation", methods=["POST"])
@roles_required(*COORDINATOR_SIDE_ROLES)
def cancel_title(title_id: int):
    actor = current_actor()
    title = pages.title_of(actor, title_id)  # 404 for an unknown title, before anything else
    number, invoice_id = title.number, title.invoice_id
    form = CancelTitleForm()
    if not form.validate_on_submit():
        return refused_page(invoice_id, cancel_form=form, cancelling=title_id)
    else:
        counter = attempt(lambda: recovery.cancel_title(actor, title_id, form.reason.data))
        if counter is not None:
            flash(f"Titre {number} annulé par le titre d'annulation {counter.number}.", "success")
    return redirect(url_for("invoices.show", invoice_id=invoice_id, _anchor="titres"))


# --- titles export -------------------------------------------------------------------------------------


@bp.route("/factures/titres")
@roles_required(*COORDINATOR_SIDE_ROLES)
def titles():
    """Every recovery title of the coordinator, in pages, filtered; the exports take the same filters."""
    actor = current_actor()
    filters, args = _title_filters()
    return render_template(
        "invoices/titles.html",
        pagination=title_list.titles_page(actor, filters),
        filters=filters,
        choices=title_list.title_choices(actor),
        states=[(s.value, s.label) for s in title_list.TitleListState],
        args=args,
    )


@bp.route("/factures/titres.csv")
@roles_required(*COORDINATOR_SIDE_ROLES)
def titles_export_csv():
    rows = pages.title_rows(current_actor(), _invoice_filter(), _title_filters()[0])
    return file_response(titles_csv(rows), "titres-de-recettes.csv", "text/csv; charset=utf-8")


@bp.route("/factures/titres.xlsx")
@roles_required(*COORDINATOR_SIDE_ROLES)
def titles_export_xlsx():
    rows = pages.title_rows(current_actor(), _invoice_filter(), _title_filters()[0])
    return xlsx_response(titles_xlsx(rows), "titres-de-recettes.xlsx")


def _invoice_filter() -> int | None:
    return id_arg("facture", "Facture introuvable.")


def _title_filters() -> tuple[title_list.TitleFilters, dict]:
    """The list's filters from the query string (validated: an odd value is left out), and the
    same as the arguments its links keep."""
    state = choice_arg("etat", [s.value for s in title_list.TitleListState])
    filters = title_list.TitleFilters(
        search=text_arg("q"),
        state=title_list.TitleListState(state) if state else None,
        commune_id=optional_id_arg("commune"),
        year=year_arg("annee"),
    )
    return filters, kept_args(q=filters.search, etat=state, commune=filters.commune_id, annee=filters.year)
