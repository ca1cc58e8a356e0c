"""The shop: a commune's agent searches the awarded prices, fills its basket, places it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from groupement.contracts.web.orders.routes import unit_euros
from groupement.core.access import Role
from groupement.suppliers import shop
from groupement.suppliers.web.forms import AddToBasketForm, BasketQuantityForm, PlaceBasketForm
from groupement.web.access import current_actor, roles_required
from groupement.web.actions import attempt
from groupement.web.forms import flash_errors
from groupement.web.query import text_arg

bp = Blueprint("shop", __name__)


@bp.context_processor
def helpers():
    return {"unit_euros": unit_euros}


@bp.route("/boutique")
@roles_required(Role.AGENT)
def index():
    words = text_arg("q")
    actor = current_actor()
    return render_template(
        "suppliers/shop.html",
        words=words,
        offers=shop.search(actor, words),
        basket=shop.basket(actor),
        add_form=AddToBasketForm(formdata=None),
    )


@bp.route("/boutique/panier/ajouter", methods=["POST"])
@roles_required(Role.AGENT)
def add():
    form = AddToBasketForm()
    if not form.validate_on_submit():
        flash_errors(form, labelled=True)
    else:
        line = attempt(lambda: shop.add_to_basket(current_actor(), form.contract_price_id.data, form.quantity.data))
        if line is not None:
            flash(
                f"Ajouté au panier : {line.contract_price.lot_line.designation} (quantité {line.quantity}).", "success"
            )
    return redirect(url_for("shop.basket"))


@bp.route("/boutique/panier")
@roles_required(Role.AGENT)
def basket():
    actor = current_actor()
    groups = shop.basket(actor)
    address = shop.default_address(actor, groups)
    return render_template(
        "suppliers/basket.html",
        groups=groups,
        place_form=PlaceBasketForm(formdata=None, data={"delivery_address": address}),
        quantity_form=BasketQuantityForm(formdata=None),
    )


@bp.route("/boutique/panier/lignes/<int:line_id>", methods=["POST"])
@roles_required(Role.AGENT)
def set_quantity(line_id: int):
    shop.basket_line(current_actor(), line_id)  # 404 for a line of another user's basket, first
    form = BasketQuantityForm()
    if not form.validate_on_submit():
        flash_errors(form, labelled=True)
    else:
        attempt(lambda: shop.set_quantity(current_actor(), line_id, form.quantity.data))
    return redirect(url_for("shop.basket"))


@bp.route("/boutique/panier/commander", methods=["POST"])
@roles_required(Role.AGENT)
def place():
    form = PlaceBasketForm()
    if not form.validate_on_submit():
        flash_errors(form, labelled=True)
        return redirect(url_for("shop.basket"))
    placed = attempt(
        lambda: shop.place_basket(current_actor(), form.delivery_address.data, form.engagement_number.data or "")
    )
    if placed is None:
        return redirect(url_for("shop.basket"))
    numbers = ", ".join(p.order.number for p in placed)
    plural = "s" if len(placed) > 1 else ""
    flash(f"{len(placed)} bon{plural} de commande passé{plural} : {numbers}.", "success")
    for p in placed:
        for warning in p.warnings:
            flash(warning, "warning")
    return redirect(url_for("orders.index"))
