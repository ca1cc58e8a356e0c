from flask import Blueprint, flash, redirect, render_template, url_for
from wtforms import SelectChoice

from groupement.core import transaction
from groupement.core.access import Role
from groupement.core.errors import ServiceError
from groupement.core.french import de
from groupement.extensions import db
from groupement.organisations import scope
from groupement.organisations.models import Organisation
from groupement.organisations.users import UserFilters, create_user, set_active, user_organisation_choices, users_page
from groupement.organisations.web.admin_forms import AccountStateForm, UserForm
from groupement.web.access import current_actor, roles_required
from groupement.web.actions import attempt
from groupement.web.query import choice_arg, kept_args, optional_id_arg, text_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/utilisateurs")
@roles_required(Role.ADMIN)
def users():
    actor = current_actor()
    role = choice_arg("role", [r.value for r in Role])
    state = choice_arg("etat", ["actif", "desactive"])
    filters = UserFilters(
        search=text_arg("q"),
        role=Role(role) if role else None,
        active={"actif": True, "desactive": False}.get(state),
        organisation_id=optional_id_arg("organisation"),
    )
    args = kept_args(q=filters.search, role=role, etat=state, organisation=filters.organisation_id)
    return render_template(
        "organisations/admin/users.html",
        pagination=users_page(actor, filters),
        filters=filters,
        state=state,
        roles=[(r.value, r.label) for r in Role],
        organisations=user_organisation_choices(actor),
        args=args,
    )


@bp.route("/utilisateurs/nouveau", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user():
    form = UserForm()
    organisations = db.session.scalars(scope.organisations(current_actor()).order_by(Organisation.name))
    form.organisation_id.choices = [SelectChoice(o.id, o.name) for o in organisations]
    if form.validate_on_submit():
        try:
            user = create_user(
                current_actor(),
                form.email.data,
                form.name.data,
                Role(form.role.data),
                form.organisation_id.data,
                form.password.data,
            )
        except ServiceError as error:
            transaction.discard()
            flash(str(error), "error")
        else:
            flash(f"Compte créé pour {user.name} ({user.email}).", "success")
            return redirect(url_for("admin.users"))
    return render_template("organisations/admin/new_user.html", form=form)


def _set_active(user_id: int, active: bool):
    if AccountStateForm().validate_on_submit():
        user = attempt(lambda: set_active(current_actor(), user_id, active))
        if user is not None:
            if active:
                flash(f"Compte {de(user.name)} réactivé.", "success")
            else:
                flash(f"Compte {de(user.name)} désactivé : ses sessions sont fermées.", "success")
    else:
        flash("Le jeton de sécurité du formulaire est absent ou invalide. Rechargez la page et recommencez.", "error")
    return redirect(url_for("admin.users"))


@bp.route("/utilisateurs/<int:user_id>/desactiver", methods=["POST"])
@roles_required(Role.ADMIN)
def deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.route("/utilisateurs/<int:user_id>/reactiver", methods=["POST"])
@roles_required(Role.ADMIN)
def reactivate(user_id: int):
    return _set_active(user_id, True)
