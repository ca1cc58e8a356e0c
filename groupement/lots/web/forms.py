"""Forms of the purchasing officer's lots pages. Choices of lines and lots are checked by the
services (a line of another campaign, a lot of another groupement): the forms only parse."""

from __future__ import annotations

from wtforms import BooleanField, DateField, SelectChoice, SelectField, SelectMultipleField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from groupement.core.types import Money, Rate
from groupement.lots.rules import MAX_DURATION_MONTHS, Ccag
from groupement.web.forms import (
    BoundedIntegerField,
    FrenchDecimalField,
    FrenchForm,
    IdField,
    LongTextField,
    TextField,
    id_coerce,
    is_id,
    optional_int,
    within,
)

NEW_LOT = "nouveau"


class ConfirmAggregationForm(FrenchForm):
    confirm = BooleanField(
        "Je confirme l'agrégation : seuls les besoins validés sont repris ; "
        "des lots en préparation déjà constitués seraient remplacés.",
        validators=[InputRequired("Cochez la case pour confirmer l'agrégation.")],
    )


class MoveForm(FrenchForm):
    line_ids = SelectMultipleField(
        "Lignes",
        coerce=id_coerce,
        validate_choice=False,
        invalid_value_message="Sélection de lignes invalide.",
        validators=[InputRequired("Cochez au moins une ligne à déplacer.")],
    )
    target = SelectField(
        "Déplacer vers",
        validate_choice=False,
        validators=[InputRequired("Choisissez le lot de destination.")],
    )
    new_title = TextField(
        "Intitulé du nouveau lot",
        validators=[Length(max=200, message="200 caractères au plus.")],
        render_kw={"placeholder": "Écrans et vidéoprojecteurs"},
    )

    def validate_target(self, field) -> None:
        if field.data != NEW_LOT and not is_id(field.data):
            raise ValidationError("Lot de destination invalide.")

    def validate_new_title(self, field) -> None:
        if self.target.data == NEW_LOT and not (field.data or "").strip():
            raise ValidationError("Donnez un intitulé au nouveau lot.")

    @property
    def target_lot_id(self) -> int | None:
        return None if self.target.data == NEW_LOT else int(self.target.data)


class MergeForm(FrenchForm):
    source_lot_id = SelectField(
        "Fusionner le lot",
        coerce=optional_int,
        validate_choice=False,
        invalid_value_message="Choisissez le lot à fusionner.",
        validators=[InputRequired("Choisissez le lot à fusionner.")],
    )
    target_lot_id = SelectField(
        "dans le lot",
        coerce=optional_int,
        validate_choice=False,
        invalid_value_message="Choisissez le lot qui le reçoit.",
        validators=[InputRequired("Choisissez le lot qui le reçoit.")],
    )


class RenameForm(FrenchForm):
    title = TextField(
        "Intitulé du lot",
        validators=[
            InputRequired("L'intitulé du lot est obligatoire."),
            Length(max=200, message="200 caractères au plus."),
        ],
    )


class ParametersForm(FrenchForm):
    duration_months = BoundedIntegerField(
        "Durée de l'accord-cadre (mois)",
        validators=[
            InputRequired("La durée est obligatoire (nombre entier de mois)."),
            within(
                1,
                MAX_DURATION_MONTHS,
                f"La durée d'un accord-cadre est de 1 à {MAX_DURATION_MONTHS} mois (art. R2162-4).",
            ),
        ],
        invalid_value_message="La durée est un nombre entier de mois.",
        render_kw={"min": 1, "max": MAX_DURATION_MONTHS},
    )
    margin_percent = FrenchDecimalField(
        "Marge sur l'estimation (%)",
        column=Rate,
        validators=[
            InputRequired("La marge est obligatoire (0 pour aucune)."),
            within(0, 100, "La marge doit être comprise entre 0 et 100 %."),
        ],
        render_kw={"inputmode": "decimal"},
    )
    maximum_amount = FrenchDecimalField(
        "Montant maximum HT sur la durée (€)",
        column=Money,
        validators=[Optional()],
        render_kw={"inputmode": "decimal"},
    )
    launch_date = DateField(
        "Lancement prévu de la consultation",
        validators=[Optional()],
        invalid_value_message="Date attendue (jj/mm/aaaa).",
    )

    def validate_maximum_amount(self, field) -> None:
        if field.data is not None and field.data <= 0:
            raise ValidationError("Le montant maximum doit être positif.")


class PublishSelectionForm(FrenchForm):
    """Several lots of the campaign published at once (the lots page); the confirmation is the
    same as for one lot."""

    lot_ids = SelectMultipleField(
        "Lots à publier",
        coerce=id_coerce,
        validate_choice=False,
        invalid_value_message="Sélection de lots invalide.",
        validators=[InputRequired("Cochez au moins un lot à publier.")],
    )
    confirm = BooleanField(
        "Je confirme la publication : les lignes, quantités, répartitions et le montant maximum de chaque "
        "lot coché seront figés définitivement.",
        validators=[InputRequired("Cochez la case pour confirmer la publication.")],
    )


class PublishForm(FrenchForm):
    confirm = BooleanField(
        "Je confirme la publication : les lignes, quantités, répartitions et le montant maximum du lot "
        "seront figés définitivement.",
        validators=[InputRequired("Cochez la case pour confirmer la publication.")],
    )


class ExcludeForm(FrenchForm):
    reason = LongTextField(
        "Motif de l'exclusion",
        validators=[
            InputRequired("Le motif d'exclusion est obligatoire."),
            Length(max=500, message="500 caractères au plus."),
        ],
    )
    lot_id = IdField(validators=[Optional()])  # where to come back to


class IncludeForm(FrenchForm):
    lot_id = IdField(validators=[Optional()])


class OpenDataForm(FrenchForm):
    """The lot's CCAG and clauses, published in the essential data (DECP) of its contract."""

    ccag = SelectField(
        "CCAG de référence",
        choices=[SelectChoice(ccag.value, ccag.value) for ccag in Ccag],
        validators=[InputRequired("Choisissez le CCAG du lot (ou « Pas de CCAG »).")],
        validate_choice=False,
    )
    social_clause = BooleanField("Clause sociale (insertion, conditions de travail…)")
    environmental_clause = BooleanField("Clause environnementale (conditions d'exécution)")
    reserved_market = BooleanField("Marché réservé (entreprises adaptées, ESAT, structures d'insertion)")

    def validate_ccag(self, field) -> None:
        if field.data not in {ccag.value for ccag in Ccag}:
            raise ValidationError(f"CCAG inconnu « {field.data} » : choisissez un CCAG de la liste.")
