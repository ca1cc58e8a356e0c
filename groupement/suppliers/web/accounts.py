"""The coordinator's side: the accounts of one of its supplier records, and the invitation."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for

from groupement.core.access import COORDINATOR_SIDE_ROLES, Role
from groupement.suppliers.accounts import invite_supplier_user, supplier_accounts
from groupement.suppliers.web import bp
from groupement.suppliers.web.forms import InviteForm
from groupement.tenders.scope import get_supplier
from groupement.web.access import current_actor, roles_required
from groupement.web.actions import attempt


def _page(supplier, form: InviteForm, status: int = 200):
    actor = current_actor()
    return (
        render_template(
            "suppliers/accounts.html",
            supplier=supplier,
            users=supplier_accounts(actor, supplier.id),
            form=form,
            can_invite=actor.role is Role.COORDINATOR,
        ),
        status,
    )


@bp.route("/fournisseurs/<int:supplier_id>/comptes")
@roles_required(*COORDINATOR_SIDE_ROLES)
def accounts(supplier_id: int):
    return _page(get_supplier(current_actor(), supplier_id), InviteForm(formdata=None))


@bp.route("/fournisseurs/<int:supplier_id>/comptes/inviter", methods=["POST"])
@roles_required(Role.COORDINATOR)
def invite(supplier_id: int):
    actor = current_actor()
    supplier = get_supplier(actor, supplier_id)  # 404 for another coordinator's record
    form = InviteForm()
    if not form.validate_on_submit():
        return _page(supplier, form, 422)

    def link_for(token: str) -> str:
        return current_app.config["PUBLIC_URL"].rstrip("/") + url_for("auth.reset", token=token)

    user = attempt(lambda: invite_supplier_user(actor, supplier.id, form.email.data, form.name.data, link_for))
    if user is None:
        return _page(supplier, form, 422)
    flash(f"Invitation envoyée à {user.email} : le lien permet de choisir son mot de passe.", "success")
    return redirect(url_for("suppliers.accounts", supplier_id=supplier.id))
