"""Orders pages: the commune orders under its contracts and records deliveries; the coordinator
follows every order and each contract's consumption."""

from __future__ import annotations

from decimal import Decimal

from flask import flash, redirect, render_template, url_for

from groupement.contracts.consumption import order_sheet
from groupement.contracts.consumption_report import consumption_report, contract_orders
from groupement.contracts.lists import OpenContractFilters, OrderFilters, open_contracts, order_choices, orders_page
from groupement.contracts.order_file import order_pdf_file
from groupement.contracts.order_queries import order_detail, order_of_line
from groupement.contracts.order_rules import DeliveryStatus
from groupement.contracts.orders import InvalidOrder, record_delivery, submit_order
from groupement.contracts.web.orders import bp
from groupement.contracts.web.orders.forms import DeliveryForm, order_form
from groupement.core import formatting, transaction
from groupement.core.access import COMMUNE_ROLES, COORDINATOR_SIDE_ROLES, Role
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.money import to_cents
from groupement.core.timeutil import paris_today
from groupement.organisations.families import Family
from groupement.web.access import current_actor, roles_required
from groupement.web.actions import attempt
from groupement.web.downloads import file_response
from groupement.web.pagination import page_args
from groupement.web.query import choice_arg, kept_args, optional_id_arg, text_arg, year_arg


def unit_euros(price: Decimal | None) -> str:
    """A unit price: 764,10 €, but 4,215 € when the contract priced it to the tenth of a cent."""
    if price is None:
        return "—"
    if to_cents(price) == price:
        return formatting.euros(price)
    decimals = min(max(-price.normalize().as_tuple().exponent, 2), 4)
    return f"{formatting.number(price, decimals)}\u00a0€"


@bp.context_processor
def order_helpers():
    return {"unit_euros": unit_euros}


@bp.route("/commandes")
@roles_required()
def index():
    actor = current_actor()
    status = choice_arg("livraison", [s.value for s in DeliveryStatus])
    filters = OrderFilters(
        search=text_arg("q"),
        status=DeliveryStatus(status) if status else None,
        commune_id=None if actor.role in COMMUNE_ROLES else optional_id_arg("commune"),
        contract_id=optional_id_arg("marche"),
        year=year_arg("annee"),
    )
    args = kept_args(
        q=filters.search, livraison=status, commune=filters.commune_id, marche=filters.contract_id, annee=filters.year
    )
    return render_template(
        "contracts/orders/index.html",
        page=orders_page(actor, filters),
        filters=filters,
        choices=order_choices(actor),
        statuses=[(s.value, s.label) for s in DeliveryStatus],
        args=args,
    )


@bp.route("/commandes/marches")
@roles_required()
def contracts():
    today = paris_today()
    family = choice_arg("famille", [f.value for f in Family])
    filters = OpenContractFilters(search=text_arg("q"), family=Family(family) if family else None)
    return render_template(
        "contracts/orders/contracts.html",
        page=open_contracts(current_actor(), filters, today),
        filters=filters,
        families=[(f.value, f.label) for f in Family],
        args=kept_args(q=filters.search, famille=family),
        today=today,
    )


@bp.route("/commandes/nouvelle/<int:contract_id>", methods=["GET", "POST"])
@roles_required(Role.AGENT)
def new(contract_id: int):
    actor = current_actor()
    sheet = order_sheet(actor, contract_id)
    form = order_form([line.price.id for line in sheet.lines], data={"delivery_address": sheet.default_address})
    if form.validate_on_submit():
        try:
            placed = submit_order(
                actor,
                contract_id,
                form.ordered(),
                form.delivery_address.data,
                engagement_number=form.engagement_number.data or "",
            )
        except (NotFound, Forbidden):
            raise
        except InvalidOrder as refused:
            for price_id, message in refused.errors.items():
                form.quantity_field(price_id).errors = [message]
            flash(str(refused), "error")
        except ServiceError as refused:
            transaction.discard()
            flash(str(refused), "error")
        else:
            order = placed.order
            flash(
                f"Bon de commande {order.number} enregistré : {formatting.euros(order.total_ht)} HT. "
                "Imprimez-le ou téléchargez-le en PDF pour le transmettre au titulaire.",
                "success",
            )
            for warning in placed.warnings:
                flash(warning, "warning")
            return redirect(url_for("orders.show", order_id=order.id))
        return render_template("contracts/orders/new.html", sheet=sheet, form=form), 422
    status = 422 if form.is_submitted() else 200
    return render_template("contracts/orders/new.html", sheet=sheet, form=form), status


@bp.route("/commandes/<int:order_id>")
@roles_required()
def show(order_id: int):
    return _order_page(order_id)


def _order_page(order_id: int, status: int = 200, delivery_form: DeliveryForm | None = None, delivering=None):
    """The order's page; a refused delivery form is shown again beside its line (`delivering`)."""
    detail = order_detail(current_actor(), order_id)
    today = paris_today()
    blank = DeliveryForm(formdata=None, data={"delivered_on": today})
    return render_template(
        "contracts/orders/show.html",
        detail=detail,
        order=detail.order,
        delivery_form=delivery_form or blank,
        delivery_blank=blank,  # the other lines' forms stay as they were
        delivering=delivering,
        today_iso=today.isoformat(),
    ), status


@bp.route("/commandes/<int:order_id>/bon.pdf")
@roles_required()
@transaction.writes_on_get
def pdf(order_id: int):
    content, filename = order_pdf_file(current_actor(), order_id)
    return file_response(content, filename, "application/pdf")


@bp.route("/commandes/lignes/<int:line_id>/livraison", methods=["POST"])
@roles_required(*COMMUNE_ROLES)
def deliver(line_id: int):
    actor = current_actor()
    order = order_of_line(actor, line_id)  # 404 outside the actor's scope, before anything else
    form = DeliveryForm()
    if not form.validate_on_submit():
        return _order_page(order.id, 422, form, delivering=line_id)
    else:
        delivery = attempt(lambda: record_delivery(actor, line_id, form.delivered_on.data, form.quantity.data))
        if delivery is not None:
            flash(
                f"Livraison enregistrée : {formatting.number(delivery.quantity)} reçu"
                f"{'s' if delivery.quantity > 1 else ''} le {formatting.date_fr(delivery.delivered_on)}.",
                "success",
            )
    return redirect(url_for("orders.show", order_id=order.id))


@bp.route("/contrats/<int:contract_id>/consommation")
@roles_required(*COORDINATOR_SIDE_ROLES)
def consumption(contract_id: int):
    report = consumption_report(current_actor(), contract_id, *page_args())
    orders, order_rows = contract_orders(current_actor(), contract_id, *page_args(page_arg="page_commandes"))
    args = {
        name: listed.page for name, listed in (("page", report.communes), ("page_commandes", orders)) if listed.page > 1
    }
    return render_template(
        "contracts/orders/consumption.html",
        report=report,
        contract=report.contract,
        orders=orders,
        order_rows=order_rows,
        args=args,
    )
