"""The shop: a commune's agent searches the awarded prices, fills its basket, places it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from groupement.contracts.web.orders.routes import unit_euros
from groupement.core.access import Role
from groupement.suppliers import shop
from groupement.suppliers.web.forms import AddToBasketForm, BasketQuantityForm, PlaceBasketForm
from groupement.web.access import current_actor, roles_required
from groupement.web.actions import attempt
from groupement.web.query import text_arg

bp = Blueprint("shop", __name__)


@bp.context_processor
def helpers():
    return {"unit_euros": unit_euros}


@bp.route("/boutique")
@roles_required(Role.AGENT)
def index():
    return _shop_page()


def _shop_page(status: int = 200, add_form: AddToBasketForm | None = None):
    """The search and its results; `add_form`, posted for one article and not valid, is shown again
    in that article's row with its errors (a 422, nothing written). The add form posts the words
    searched in its address, so that the refused page shows the same results."""
    words = text_arg("q")
    actor = current_actor()
    return render_template(
        "suppliers/shop.html",
        words=words,
        offers=shop.search(actor, words),
        basket=shop.basket(actor),
        add_form=add_form or AddToBasketForm(formdata=None),
        add_blank=AddToBasketForm(formdata=None, data={"quantity": 1}),  # the other articles' forms
        adding=add_form.contract_price_id.data if add_form else None,
    ), status


@bp.route("/boutique/panier/ajouter", methods=["POST"])
@roles_required(Role.AGENT)
def add():
    form = AddToBasketForm()
    if not form.validate_on_submit():
        return _shop_page(422, add_form=form)
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
    return _basket_page()


def _basket_page(status: int = 200, **refused):
    """The basket; `refused` holds a posted form that was not valid (place_form, quantity_form
    with the `editing` line id), shown again with its errors beside its fields: a 422, nothing written."""
    actor = current_actor()
    groups = shop.basket(actor)
    place_form = refused.get("place_form")
    if place_form is None:
        place_form = PlaceBasketForm(formdata=None, data={"delivery_address": shop.default_address(actor, groups)})
    return render_template(
        "suppliers/basket.html",
        groups=groups,
        place_form=place_form,
        quantity_form=refused.get("quantity_form") or BasketQuantityForm(formdata=None),
        quantity_blank=BasketQuantityForm(formdata=None),  # the other lines' forms
        editing=refused.get("editing"),
    ), status


@bp.route("/boutique/panier/lignes/<int:line_id>", methods=["POST"])
@roles_required(Role.AGENT)
def set_quantity(line_id: int):
    shop.basket_line(current_actor(), line_id)  # 404 for a line of another user's basket, first
    form = BasketQuantityForm()
    if not form.validate_on_submit():
        return _basket_page(422, quantity_form=form, editing=line_id)
    else:
        attempt(lambda: shop.set_quantity(current_actor(), line_id, form.quantity.data))
    return redirect(url_for("shop.basket"))


@bp.route("/boutique/panier/commander", methods=["POST"])
@roles_required(Role.AGENT)
def place():
    form = PlaceBasketForm()
    if not form.validate_on_submit():
        return _basket_page(422, place_form=form)
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
