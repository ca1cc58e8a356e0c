from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wtforms import BooleanField, DateTimeLocalField, SelectChoice, SelectField, SelectMultipleField
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from groupement.core.timeutil import PARIS, to_paris, utcnow
from groupement.organisations.families import Family
from groupement.web.forms import BoundedIntegerField, FrenchForm, LongTextField, TextField, id_coerce

DATETIME_LOCAL = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def paris_to_utc(moment: datetime) -> datetime:
    """A wall-clock time in Europe/Paris (aware, or naive and read as Paris) -> naive UTC,
    the stored form. An hour skipped or repeated by a clock change takes the first offset."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return moment.astimezone(UTC).replace(tzinfo=None)


class FamiliesField(SelectMultipleField):
    """Check boxes rather than a multiple select, which few people know how to use."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CampaignForm(FrenchForm):
    groupement_id = SelectField("Groupement", coerce=id_coerce)
    title = TextField(
        "Intitulé",
        validators=[InputRequired("L'intitulé est obligatoire."), Length(max=200)],
        render_kw={"placeholder": "Recensement des besoins 2027"},
    )
    year = BoundedIntegerField(
        "Année des besoins",
        invalid_value_message="Année attendue (nombre entier).",
        validators=[
            InputRequired("L'année est obligatoire (nombre entier)."),
            NumberRange(2000, 2100, "Année entre 2000 et 2100."),
        ],
    )
    families = FamiliesField(
        "Familles du catalogue incluses",
        choices=[SelectChoice(f.value, f.label) for f in Family],
        validators=[InputRequired("Choisissez au moins une famille.")],
    )
    opens_at = DateTimeLocalField(
        "Ouverture de la saisie",
        format=DATETIME_LOCAL,
        tz=PARIS,
        invalid_value_message="Date et heure attendues (jj/mm/aaaa hh:mm).",
        validators=[InputRequired("Date et heure d'ouverture obligatoires.")],
    )
    closes_at = DateTimeLocalField(
        "Date limite de saisie",
        format=DATETIME_LOCAL,
        tz=PARIS,
        invalid_value_message="Date et heure attendues (jj/mm/aaaa hh:mm).",
        validators=[InputRequired("Date et heure de clôture obligatoires.")],
    )
    instructions = LongTextField("Consignes aux communes", validators=[Length(max=5000)])

    def with_defaults(self) -> CampaignForm:
        """Next year's needs, open from the next hour for four weeks, closing at 17:00."""
        now = to_paris(utcnow()).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        self.year.data = now.year + 1
        self.opens_at.data = now
        self.closes_at.data = (now + timedelta(weeks=4)).replace(hour=17)
        self.families.data = [f.value for f in Family]
        return self

    def validate_closes_at(self, field) -> None:
        if self.opens_at.data and field.data and field.data <= self.opens_at.data:
            raise ValidationError("La date limite doit suivre l'ouverture.")

    @property
    def chosen_families(self) -> list[Family]:
        return [Family(value) for value in self.families.data or []]

    @property
    def opens_at_utc(self) -> datetime:
        return paris_to_utc(self.opens_at.data)

    @property
    def closes_at_utc(self) -> datetime:
        return paris_to_utc(self.closes_at.data)


class ActionForm(FrenchForm):
    """CSRF only: a button that posts (open, remind)."""


class CloseForm(FrenchForm):
    confirm = BooleanField(
        "Je confirme la clôture : les communes ne pourront plus saisir leurs besoins.",
        validators=[InputRequired("Cochez la case pour confirmer la clôture.")],
    )


class ReopenForm(FrenchForm):
    reason = LongTextField(
        "Motif de la réouverture",
        validators=[InputRequired("Le motif de réouverture est obligatoire."), Length(max=1000)],
    )
