"""Forms of the suppliers, offers and analysis pages. The services check again (a SIRET key, a
supplier that exists, weights that sum to 100): the forms parse and say what is missing."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, SelectField
from wtforms.validators import Email, InputRequired, Length, Optional

from groupement.core.types import Rate
from groupement.web.forms import FrenchDecimalField, FrenchForm, LongTextField, TextField, optional_int, within

WEIGHT_HINT = "En points sur 100, par exemple 60."


class SupplierForm(FrenchForm):
    name = TextField(
        "Raison sociale",
        validators=[
            InputRequired("La raison sociale est obligatoire."),
            Length(max=200, message="200 caractères au plus."),
        ],
    )
    siret = TextField(
        "SIRET",
        validators=[InputRequired("Le SIRET est obligatoire (14 chiffres)."), Length(max=20, message="14 chiffres.")],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    vat_number = TextField(
        "Numéro de TVA intracommunautaire",
        validators=[Optional(), Length(max=20, message="20 caractères au plus.")],
        render_kw={"placeholder": "FR12345678901"},
    )
    address = TextField("Adresse", validators=[Length(max=300, message="300 caractères au plus.")])
    postcode = TextField("Code postal", validators=[Length(max=10, message="10 caractères au plus.")])
    city = TextField("Commune", validators=[Length(max=120, message="120 caractères au plus.")])
    contact_name = TextField("Contact", validators=[Length(max=200, message="200 caractères au plus.")])
    contact_email = TextField(
        "Adresse électronique du contact",
        validators=[
            Optional(),
            Email("Adresse électronique invalide.", check_deliverability=False),
            Length(max=254, message="254 caractères au plus."),
        ],
    )
    phone = TextField("Téléphone", validators=[Length(max=30, message="30 caractères au plus.")])


def supplier_select(label: str = "Fournisseur") -> SelectField:
    return SelectField(
        label,
        coerce=optional_int,
        validate_choice=False,
        invalid_value_message="Choisissez le fournisseur qui a remis l'offre.",
        validators=[InputRequired("Choisissez le fournisseur qui a remis l'offre.")],
    )


class OfferImportForm(FrenchForm):
    supplier_id = supplier_select()
    file = FileField(
        "DQE chiffré par le fournisseur (.xlsx)",
        validators=[
            FileRequired("Choisissez le fichier DQE chiffré à importer."),
            FileAllowed(["xlsx"], "Seuls les classeurs Excel .xlsx sont acceptés (pas de .xls, .csv ni .ods)."),
        ],
    )
    is_variant = BooleanField("Offre variante")


class KeyInForm(FrenchForm):
    """The supplier and the variant flag; the prices come as prix-<line id> and eco-<line id>."""

    supplier_id = supplier_select()
    is_variant = BooleanField("Offre variante")


def weight(label: str, message: str) -> FrenchDecimalField:
    return FrenchDecimalField(
        label,
        column=Rate,
        validators=[InputRequired(message), within(0, 100, "Un poids est compris entre 0 et 100.")],
        render_kw={"inputmode": "decimal"},
    )


class CriteriaForm(FrenchForm):
    price_weight = weight("Prix", "Le poids du prix est obligatoire.")
    technical_weight = weight("Valeur technique", "Le poids de la valeur technique est obligatoire (0 si aucun).")
    environmental_weight = weight(
        "Critère environnemental", "Le poids du critère environnemental est obligatoire (0 si aucun)."
    )
    abnormally_low_percent = FrenchDecimalField(
        "Seuil d'offre anormalement basse (%)",
        column=Rate,
        validators=[
            InputRequired("Le seuil d'offre anormalement basse est obligatoire (70 par défaut)."),
            within(1, 99, "Le seuil est compris entre 1 et 99 %."),
        ],
        render_kw={"inputmode": "decimal"},
    )


class ScoreForm(FrenchForm):
    technical_score = FrenchDecimalField("Note de valeur technique", validators=[Optional()], column=Rate)
    technical_justification = LongTextField(
        "Justification de la note technique", validators=[Length(max=5000, message="5 000 caractères au plus.")]
    )
    environmental_score = FrenchDecimalField("Note environnementale", validators=[Optional()], column=Rate)
    environmental_justification = LongTextField(
        "Justification de la note environnementale",
        validators=[Length(max=5000, message="5 000 caractères au plus.")],
    )
