"""The supplier's own pages: its home (tasks), the orders addressed to it (acknowledge, delivery
date, deliveries), its contracts with their prices and consumption, its invoicing."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from groupement.contracts.order_rules import DeliveryStatus
from groupement.contracts.web.orders.routes import unit_euros
from groupement.core import formatting
from groupement.core.access import Role
from groupement.core.timeutil import paris_today
from groupement.suppliers import invoicing, orders, scope, space
from groupement.suppliers.web import bp
from groupement.suppliers.web.forms import AcknowledgeForm, DeclareDeliveryForm, PlanDeliveryForm
from groupement.web.access import current_actor, roles_required
from groupement.web.actions import attempt
from groupement.web.query import choice_arg, kept_args, text_arg


@bp.context_processor
def helpers():
    return {"unit_euros": unit_euros}


@bp.app_context_processor
def supplier_declarations():
    """For the commune's service fait page: which deliveries the supplier declared."""
    return {"declared_delivery_ids": space.declared_delivery_ids}


@bp.route("/espace-fournisseur")
@roles_required(Role.SUPPLIER)
def home():
    return render_template("suppliers/home.html", home=space.home(current_actor()))


@bp.route("/espace-fournisseur/commandes")
@roles_required(Role.SUPPLIER)
def orders_index():
    actor = current_actor()
    status = choice_arg("livraison", [s.value for s in DeliveryStatus])
    receipt = choice_arg("accuse", ["oui", "non"])
    filters = space.ReceivedOrderFilters(
        search=text_arg("q"),
        status=DeliveryStatus(status) if status else None,
        acknowledged={"oui": True, "non": False}.get(receipt),
    )
    return render_template(
        "suppliers/orders.html",
        supplier=scope.own_supplier(actor),
        page=space.received_orders(actor, filters),
        filters=filters,
        receipt=receipt,
        statuses=[(s.value, s.label) for s in DeliveryStatus],
        args=kept_args(q=filters.search, livraison=status, accuse=receipt),
    )


@bp.route("/espace-fournisseur/commandes/<int:order_id>")
@roles_required(Role.SUPPLIER)
def order(order_id: int):
    return _order_page(order_id)


def _order_page(order_id: int, status: int = 200, **refused):
    """The supplier's order page; `refused` holds a posted form that was not valid (ack_form,
    plan_form, delivery_form with the `delivering` line id), shown again beside its fields."""
    view = space.order_view(current_actor(), order_id)
    today = paris_today()
    ack = view.acknowledgment
    blank = DeclareDeliveryForm(formdata=None, data={"delivered_on": today})
    return render_template(
        "suppliers/order.html",
        view=view,
        order=view.order,
        ack_form=refused.get("ack_form") or AcknowledgeForm(formdata=None),
        plan_form=refused.get("plan_form")
        or PlanDeliveryForm(
            formdata=None,
            data={
                "planned_delivery_on": ack.planned_delivery_on if ack else None,
                "version": ack.version if ack else 1,
            },
        ),
        delivery_form=refused.get("delivery_form") or blank,
        delivery_blank=blank,
        delivering=refused.get("delivering"),
        today_iso=today.isoformat(),
    ), status


@bp.route("/espace-fournisseur/commandes/<int:order_id>/accuse-reception", methods=["POST"])
@roles_required(Role.SUPPLIER)
def acknowledge(order_id: int):
    actor = current_actor()
    order = scope.get_order(actor, order_id)  # 404 outside the supplier's orders, before anything else
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        return _order_page(order.id, 422, ack_form=form)
    else:
        ack = attempt(lambda: orders.acknowledge_order(actor, order.id, form.planned_delivery_on.data))
        if ack is not None:
            planned = (
                f" ; livraison prévue le {formatting.date_fr(ack.planned_delivery_on)}"
                if ack.planned_delivery_on
                else ""
            )
            flash(f"Réception du bon de commande n° {order.number} accusée{planned}.", "success")
    return redirect(url_for("suppliers.order", order_id=order.id))


@bp.route("/espace-fournisseur/commandes/<int:order_id>/date-de-livraison", methods=["POST"])
@roles_required(Role.SUPPLIER)
def plan(order_id: int):
    actor = current_actor()
    order = scope.get_order(actor, order_id)
    form = PlanDeliveryForm()
    if not form.validate_on_submit():
        return _order_page(order.id, 422, plan_form=form)
    else:
        ack = attempt(lambda: orders.plan_delivery(actor, order.id, form.planned_delivery_on.data, form.version.data))
        if ack is not None:
            flash(f"Livraison prévue le {formatting.date_fr(ack.planned_delivery_on)}.", "success")
    return redirect(url_for("suppliers.order", order_id=order.id))


@bp.route("/espace-fournisseur/lignes/<int:line_id>/livraison", methods=["POST"])
@roles_required(Role.SUPPLIER)
def declare(line_id: int):
    actor = current_actor()
    line = scope.get_order_line(actor, line_id)
    order_id = line.order_id
    form = DeclareDeliveryForm()
    if not form.validate_on_submit():
        return _order_page(order_id, 422, delivery_form=form, delivering=line_id)
    else:
        delivery = attempt(lambda: orders.declare_delivery(actor, line_id, form.delivered_on.data, form.quantity.data))
        if delivery is not None:
            plural = "s" if delivery.quantity > 1 else ""
            flash(
                f"Livraison déclarée : {formatting.number(delivery.quantity)} livré{plural} "
                f"le {formatting.date_fr(delivery.delivered_on)}. La commune doit encore certifier le service fait.",
                "success",
            )
    return redirect(url_for("suppliers.order", order_id=order_id))


@bp.route("/espace-fournisseur/marches")
@roles_required(Role.SUPPLIER)
def contracts():
    actor = current_actor()
    return render_template(
        "suppliers/contracts.html", supplier=scope.own_supplier(actor), page=space.contract_page(actor)
    )


@bp.route("/espace-fournisseur/marches/<int:contract_id>")
@roles_required(Role.SUPPLIER)
def contract(contract_id: int):
    return render_template("suppliers/contract.html", view=space.contract_view(current_actor(), contract_id))


@bp.route("/espace-fournisseur/factures")
@roles_required(Role.SUPPLIER)
def invoices():
    actor = current_actor()
    return render_template(
        "suppliers/invoices.html",
        supplier=scope.own_supplier(actor),
        to_invoice=invoicing.to_invoice(actor),
        invoices=invoicing.invoice_rows(actor),
    )
