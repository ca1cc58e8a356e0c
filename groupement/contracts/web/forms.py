"""Forms of the award pages. The offer's lot, the ranking and the dates' consistency are checked
by contracts/awards.py: the forms only parse."""

from __future__ import annotations

from wtforms import DateField, RadioField, SelectChoice, SelectField
from wtforms.validators import InputRequired, Length, Optional

from groupement.contracts.rules import ContractNature, PriceType
from groupement.core.types import Rate
from groupement.web.forms import FrenchDecimalField, FrenchForm, LongTextField, TextField, id_coerce, within

PRICE_TYPE_CHOICES = [SelectChoice(price_type.value, price_type.label) for price_type in PriceType]


def price_type_field(required: bool) -> SelectField:
    """The price type; at award it may be left out (a firm price, the common case)."""
    return SelectField(
        "Type de prix",
        choices=PRICE_TYPE_CHOICES,
        default=PriceType.FERME.value,
        validate_choice=False,  # the service says which values are allowed, in French
        validators=[InputRequired("Choisissez le type de prix du marché.")] if required else [Optional()],
    )


class AwardForm(FrenchForm):
    offer_id = RadioField(
        "Offre retenue",
        coerce=id_coerce,
        validate_choice=False,
        invalid_value_message="Choisissez l'offre retenue.",
        validators=[InputRequired("Choisissez l'offre retenue.")],
    )
    justification = LongTextField(
        "Justification du choix",
        validators=[Optional(), Length(max=5000, message="5 000 caractères au plus.")],
    )
    notified_on = DateField(
        "Date de notification",
        validators=[InputRequired("La date de notification est obligatoire.")],
        invalid_value_message="Date attendue (jj/mm/aaaa).",
    )
    start_date = DateField(
        "Début d'exécution",
        validators=[InputRequired("La date de début d'exécution est obligatoire.")],
        invalid_value_message="Date attendue (jj/mm/aaaa).",
    )
    number = TextField(
        "Numéro du contrat",
        validators=[Optional(), Length(max=16, message="16 caractères au plus (identifiant DECP).")],
    )
    origin_eu_percent = FrenchDecimalField(
        "Part d'origine UE (%)",
        column=Rate,
        validators=[Optional(), within(0, 100, "Un pourcentage entre 0 et 100.")],
        render_kw={"inputmode": "decimal"},
    )
    origin_france_percent = FrenchDecimalField(
        "Part d'origine France (%)",
        column=Rate,
        validators=[Optional(), within(0, 100, "Un pourcentage entre 0 et 100.")],
        render_kw={"inputmode": "decimal"},
    )
    price_type = price_type_field(required=False)


class PriceTypeForm(FrenchForm):
    price_type = price_type_field(required=True)


class NatureForm(FrenchForm):
    nature = SelectField(
        "Nature du marché",
        choices=[SelectChoice(nature.value, nature.label) for nature in ContractNature],
        validate_choice=False,  # the service says which values are allowed, in French
        validators=[InputRequired("Choisissez la nature du marché.")],
    )


class UnsuccessfulForm(FrenchForm):
    reason = LongTextField(
        "Motif de l'infructuosité",
        validators=[
            InputRequired("Le motif de l'infructuosité est obligatoire."),
            Length(max=5000, message="5 000 caractères au plus."),
        ],
    )


class RejectionSendingForm(FrenchForm):
    """The rejection letters sent: the offer they announce as retained, the day, the means."""

    offer_id = RadioField(
        "Offre à retenir (annoncée dans les lettres)",
        coerce=id_coerce,
        validate_choice=False,
        invalid_value_message="Choisissez l'offre à retenir.",
        validators=[InputRequired("Choisissez l'offre à retenir.")],
    )
    justification = LongTextField(
        "Justification du choix",
        validators=[Optional(), Length(max=5000, message="5 000 caractères au plus.")],
    )
    sent_on = DateField(
        "Date d'envoi des lettres de rejet",
        validators=[InputRequired("La date d'envoi des lettres de rejet est obligatoire.")],
        invalid_value_message="Date attendue (jj/mm/aaaa).",
    )
    means = RadioField(
        "Mode d'envoi",
        choices=[
            SelectChoice("electronic", "Par voie électronique (profil d'acheteur, courriel)"),
            SelectChoice("paper", "Par courrier"),
        ],
        default="electronic",
        validate_choice=False,
        validators=[InputRequired("Choisissez le mode d'envoi des lettres.")],
    )
