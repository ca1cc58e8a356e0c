"""The settings page (« Paramètres des documents »): the coordinator's letterhead (name, address,
SIRET, logo) and the communes' Chorus Pro service codes; a commune's users set their own code."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf.file import FileField
from wtforms import BooleanField
from wtforms.validators import InputRequired, ValidationError

from groupement.core.access import COMMUNE_ROLES, OrganisationKind, Role
from groupement.core.files.pdf import Letterhead
from groupement.core.french import de
from groupement.extensions import db
from groupement.organisations import scope
from groupement.organisations.letterhead import letterhead_for
from groupement.organisations.models import Organisation
from groupement.organisations.settings import (
    MAX_CHORUS_CODE_LENGTH,
    MAX_LOGO_BYTES,
    LogoRefused,
    checked_logo,
    set_chorus_service_code,
    update_letterhead,
)
from groupement.web.access import current_actor, roles_required
from groupement.web.actions import attempt
from groupement.web.forms import FrenchForm, IdField, LongTextField, TextField

bp = Blueprint("settings", __name__, url_prefix="/parametres")


class LetterheadForm(FrenchForm):
    name = TextField("Nom du coordonnateur", max_length=200)
    address = LongTextField("Adresse", max_length=300, render_kw={"rows": 2})
    postcode = TextField("Code postal", max_length=10)
    city = TextField("Commune", max_length=120)
    siret = TextField("SIRET", max_length=20)
    logo = FileField("Logo (PNG ou JPEG, 500 Ko au plus)", render_kw={"accept": "image/png,image/jpeg"})
    remove_logo = BooleanField("Retirer le logo actuel")

    def validate_logo(self, field) -> None:
        upload = field.data
        if not upload or not getattr(upload, "filename", ""):
            field.data = None
            return
        content = upload.stream.read(MAX_LOGO_BYTES + 1)
        if len(content) > MAX_LOGO_BYTES:
            raise ValidationError("Le logo dépasse 500 Ko : réduisez l'image (PNG ou JPEG) et réessayez.")
        try:
            checked_logo(content)
        except LogoRefused as refused:
            raise ValidationError(str(refused)) from None
        field.data = content


class ChorusForm(FrenchForm):
    commune_id = IdField("Commune", validators=[InputRequired("Choisissez la commune.")])
    code = TextField("Code service Chorus Pro", max_length=MAX_CHORUS_CODE_LENGTH)


def _communes(actor) -> list[Organisation]:
    statement = scope.organisations(actor).where(Organisation.kind == OrganisationKind.COMMUNE)
    if actor.role in COMMUNE_ROLES:
        statement = statement.where(Organisation.id == actor.organisation_id)
    return list(db.session.scalars(statement.order_by(Organisation.name)))


def _page(letterhead_form: LetterheadForm | None, status: int = 200, refused_chorus: ChorusForm | None = None):
    """The settings page; a refused Chorus Pro code is shown again in its commune's row, its error
    beside it (above the table when the commune posted is not one of the rows)."""
    actor = current_actor()
    letterhead: Letterhead | None = None
    if letterhead_form is not None:
        letterhead = letterhead_for(actor.organisation_id)
    communes = _communes(actor)
    refused_id = refused_chorus.commune_id.data if refused_chorus is not None else None
    forms = [
        refused_chorus
        if c.id == refused_id
        else ChorusForm(formdata=None, data={"commune_id": c.id, "code": c.chorus_service_code})
        for c in communes
    ]
    return (
        render_template(
            "organisations/settings.html",
            letterhead_form=letterhead_form,
            letterhead=letterhead,
            chorus=list(zip(communes, forms, strict=True)),
            chorus_unplaced=refused_chorus if refused_chorus is not None and refused_chorus not in forms else None,
        ),
        status,
    )


def _letterhead_form(actor) -> LetterheadForm | None:
    if actor.role not in (Role.COORDINATOR, Role.ADMIN):
        return None
    coordinator = scope.get_scoped(Organisation, actor.organisation_id, Organisation.id, actor)
    if coordinator.kind != OrganisationKind.COORDINATOR:
        return None
    return LetterheadForm(
        data={
            "name": coordinator.name,
            "address": coordinator.address,
            "postcode": coordinator.postcode,
            "city": coordinator.city,
            "siret": coordinator.siret or "",
        }
    )


@bp.route("", methods=["GET"])
@roles_required(Role.COORDINATOR, Role.ADMIN, *COMMUNE_ROLES)
def show():
    return _page(_letterhead_form(current_actor()))


@bp.route("/en-tete", methods=["POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def letterhead():
    actor = current_actor()
    form = _letterhead_form(actor)
    if form is None:
        return _page(None, 404)
    if not form.validate_on_submit():
        return _page(form, 422)  # each error beside its field, counted above the form
    done = attempt(
        lambda: update_letterhead(
            actor,
            name=form.name.data,
            address=form.address.data,
            postcode=form.postcode.data,
            city=form.city.data,
            siret=form.siret.data,
            logo=form.logo.data,
            remove_logo=form.remove_logo.data,
        )
    )
    if done is None:
        return _page(form, 422)
    flash("En-tête des documents enregistré : les prochains documents le porteront.", "success")
    return redirect(url_for("settings.show"))


@bp.route("/chorus", methods=["POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN, *COMMUNE_ROLES)
def chorus():
    actor = current_actor()
    form = ChorusForm()
    if not form.validate_on_submit():
        return _page(_letterhead_form(actor), 422, refused_chorus=form)
    commune = attempt(lambda: set_chorus_service_code(actor, form.commune_id.data, form.code.data))
    if commune is not None:
        flash(f"Code service Chorus Pro {de(commune.name)} enregistré.", "success")
    return redirect(url_for("settings.show"))
