"""Forms of the award pages. The offer's lot, the ranking and the dates' consistency are checked
by contracts/awards.py: the forms only parse."""

from __future__ import annotations

from wtforms import DateField, RadioField
from wtforms.validators import InputRequired, Length, Optional

from groupement.core.types import Rate
from groupement.web.forms import FrenchDecimalField, FrenchForm, LongTextField, TextField, id_coerce, within


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


class UnsuccessfulForm(FrenchForm):
    reason = LongTextField(
        "Motif de l'infructuosité",
        validators=[
            InputRequired("Le motif de l'infructuosité est obligatoire."),
            Length(max=5000, message="5 000 caractères au plus."),
        ],
    )
