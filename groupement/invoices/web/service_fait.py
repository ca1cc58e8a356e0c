"""The commune's side of the service fait: its deliveries awaiting certification, and the
certification of each by the commune's agent or signatory."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from groupement.core import formatting
from groupement.core.access import COMMUNE_ROLES
from groupement.invoices import service_fait
from groupement.invoices.web import bp
from groupement.invoices.web.forms import ActionForm
from groupement.web.access import current_actor, roles_required
from groupement.web.actions import attempt


@bp.route("/ma-commune/service-fait")
@roles_required(*COMMUNE_ROLES)
def service_fait_list():
    rows = service_fait.commune_deliveries(current_actor())
    return render_template(
        "invoices/service_fait.html",
        rows=rows,
        waiting=sum(1 for row in rows if row.certification is None),
        form=ActionForm(),
    )


@bp.route("/ma-commune/service-fait/<int:delivery_id>", methods=["POST"])
@roles_required(*COMMUNE_ROLES)
def certify(delivery_id: int):
    if ActionForm().validate_on_submit():
        certification = attempt(lambda: service_fait.certify_delivery(current_actor(), delivery_id))
        if certification is not None:
            delivery = certification.delivery
            flash(
                f"Service fait certifié : {formatting.number(delivery.quantity)} livré(s) le "
                f"{formatting.date_fr(delivery.delivered_on)} (commande {delivery.order_line.order.number}).",
                "success",
            )
    return redirect(url_for("invoices.service_fait_list"))
