"""Forms of the contract's life (renewals, amendments, price revision): they only parse and bound;
contracts/renewals.py, amendments.py and revisions.py check the rules."""

from __future__ import annotations

from datetime import date

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from groupement.contracts.amendment_rules import Ground
from groupement.contracts.life_models import Fraction
from groupement.contracts.revision_rules import MAX_INDEX_CODE
from groupement.web.forms import BoundedIntegerField, FrenchDecimalField, FrenchForm, LongTextField, TextField, within

GROUND_CHOICES = [SelectChoice(ground.value, ground.label) for ground in Ground]
FIRST_YEAR, LAST_YEAR = 1990, 2100


def plausible_date(form, field) -> None:
    if field.data is not None and not date(FIRST_YEAR, 1, 1) <= field.data <= date(LAST_YEAR, 12, 31):
        raise ValidationError(f"Date entre {FIRST_YEAR} et {LAST_YEAR} attendue.")


def _date(label: str, required: str, **options) -> DateField:
    return DateField(
        label,
        validators=[InputRequired(required), plausible_date],
        invalid_value_message="Date attendue (jj/mm/aaaa).",
        **options,
    )


class RenewalTermsForm(FrenchForm):
    renewal_count = BoundedIntegerField(
        "Nombre de reconductions", minimum=0, maximum=47, validators=[InputRequired("Nombre de reconductions attendu.")]
    )
    renewal_months = BoundedIntegerField(
        "Durée d'une reconduction (mois)", minimum=1, maximum=48, validators=[InputRequired("Durée attendue.")]
    )
    notice_months = BoundedIntegerField(
        "Préavis (mois)", minimum=0, maximum=12, validators=[InputRequired("Préavis attendu.")]
    )


class RenewalDecisionForm(FrenchForm):
    period = BoundedIntegerField("Période", minimum=1, maximum=48, validators=[InputRequired("Période attendue.")])
    decision = SelectField(
        "Décision",
        choices=[SelectChoice("renew", "Reconduire"), SelectChoice("stop", "Ne pas reconduire")],
        validators=[InputRequired("Choisissez la décision.")],
        invalid_value_message="Choisissez la décision.",
    )


class AmendmentForm(FrenchForm):
    amount_ht = FrenchDecimalField(
        "Modification du montant maximum HT (négative pour une diminution)",
        validators=[InputRequired("Montant attendu (0 si seul l'objet change).")],
        render_kw={"inputmode": "decimal"},
    )
    ground = SelectField(
        "Fondement",
        choices=GROUND_CHOICES,
        validators=[InputRequired("Choisissez le fondement de la modification.")],
        invalid_value_message="Choisissez le fondement de la modification.",
    )
    notified_on = _date("Notifié le", "La date de notification de l'avenant est obligatoire.")
    object_change = LongTextField(
        "Objet de la modification", validators=[Optional(), Length(max=2000, message="2 000 caractères au plus.")]
    )
    justification = LongTextField(
        "Justification", validators=[Optional(), Length(max=4000, message="4 000 caractères au plus.")]
    )


class FormulaForm(FrenchForm):
    fixed_part = FrenchDecimalField(
        "Partie fixe",
        column=Fraction,
        validators=[InputRequired("Partie fixe attendue, par exemple 0,15."), within(0, 1, "Entre 0 et 1.")],
    )
    index_code = TextField(
        "Indice",
        validators=[
            InputRequired("Code de l'indice attendu."),
            Length(max=MAX_INDEX_CODE, message=f"{MAX_INDEX_CODE} caractères au plus."),
        ],
    )
    weight = FrenchDecimalField(
        "Poids de l'indice",
        column=Fraction,
        validators=[InputRequired("Poids attendu, par exemple 0,85."), within(0, 1, "Entre 0 et 1.")],
    )
    index_code_2 = TextField(
        "Second indice (facultatif)",
        validators=[Optional(), Length(max=MAX_INDEX_CODE, message=f"{MAX_INDEX_CODE} caractères au plus.")],
    )
    weight_2 = FrenchDecimalField(
        "Poids du second indice", column=Fraction, validators=[Optional(), within(0, 1, "Entre 0 et 1.")]
    )
    base_month = _date("Mois zéro (premier jour du mois de référence)", "Le mois zéro est obligatoire.")
    period_months = BoundedIntegerField(
        "Périodicité (mois)", minimum=1, maximum=48, validators=[InputRequired("Périodicité attendue.")]
    )


class IndexValueForm(FrenchForm):
    """On the page beside the formula's form, which also has an « index_code »: its own ids, so that
    each label names its own input (the field names stay)."""

    index_code = TextField(
        "Indice",
        id="index_value_code",
        validators=[
            InputRequired("Code de l'indice attendu."),
            Length(max=MAX_INDEX_CODE, message=f"{MAX_INDEX_CODE} caractères au plus."),
        ],
    )
    month = _date("Mois", "Le mois de la valeur est obligatoire.", id="index_value_month")
    value = TextField(
        "Valeur",
        id="index_value_value",
        validators=[
            InputRequired("Valeur attendue, par exemple 112,4."),
            Length(max=30, message="30 caractères au plus."),
        ],
    )


class IndexImportForm(FrenchForm):
    file = FileField(
        "Valeurs d'indices (.csv ou .xlsx : colonnes indice, mois, valeur)",
        validators=[
            FileRequired("Choisissez le fichier des valeurs d'indices."),
            FileAllowed(["csv", "xlsx"], "Seuls les fichiers .csv et .xlsx sont acceptés."),
        ],
    )


class EmptyForm(FrenchForm):
    """A button: the CSRF token only."""
