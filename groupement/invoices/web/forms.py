"""Forms of the invoices pages. Amounts are typed the French way and never become floats."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, SelectMultipleField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from groupement.core.french import de
from groupement.core.types import Rate
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.states import InvoiceStatus
from groupement.web.forms import FrenchDecimalField, FrenchForm, LongTextField, SearchTextField, within

PERCENT_PREFIX = "pourcentage_"
INVOICE_EXTENSIONS = ["xml", "pdf", "xlsx", "csv"]


class SearchForm(FrenchForm):
    """The board's filters (GET: no CSRF token)."""

    class Meta:
        csrf = False

    statut = SelectField(
        "Statut",
        choices=[SelectChoice("", "Tous les statuts")] + [SelectChoice(s.value, s.label) for s in InvoiceStatus],
        validators=[Optional()],
    )
    q = SearchTextField("Rechercher", validators=[Optional(), Length(max=100)])
    officiel = SelectField(
        "Règles officielles",
        choices=[SelectChoice("", "Toutes les factures"), SelectChoice("bloquee", "Bloquées par une règle officielle")],
        validators=[Optional()],
    )

    def official_blocked(self) -> bool:
        return self.officiel.data == "bloquee"

    def status(self) -> InvoiceStatus | None:
        return InvoiceStatus(self.statut.data) if self.statut.data in {s.value for s in InvoiceStatus} else None


class UploadForm(FrenchForm):
    file = FileField(
        "Fichier de la facture ou de l'avoir",
        validators=[
            FileRequired("Choisissez le fichier de la facture à importer."),
            FileAllowed(
                INVOICE_EXTENSIONS,
                "Formats acceptés : Factur-X (.pdf), UBL ou CII (.xml), modèle tableur (.xlsx ou .csv).",
            ),
        ],
    )


class ActionForm(FrenchForm):
    """CSRF only: a button that posts (match)."""


class ResolveForm(FrenchForm):
    comment = LongTextField(
        "Commentaire",
        validators=[
            InputRequired("Un commentaire est obligatoire pour accepter un écart ou ouvrir un litige."),
            Length(max=2000, message="2 000 caractères au plus."),
        ],
        render_kw={"rows": 2, "maxlength": 2000},
    )
    accept = SubmitField("Accepter l'anomalie")
    dispute = SubmitField("Contester (litige)")


class RejectForm(FrenchForm):
    reason = LongTextField(
        "Motif du rejet",
        validators=[
            InputRequired("Le motif du rejet est obligatoire."),
            Length(max=2000, message="2 000 caractères au plus."),
        ],
        render_kw={"rows": 2, "maxlength": 2000},
    )


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SplitForm(FrenchForm):
    key = SelectField(
        "Clé de répartition des lignes communes",
        choices=[SelectChoice(k.value, k.label[:1].upper() + k.label[1:]) for k in AllocationKey],
        default=AllocationKey.AMOUNT.value,
    )
    communes = CheckboxesField("Communes qui partagent les lignes communes", choices=[], validate_choice=True)

    def percent_fields(self) -> list[FrenchDecimalField]:
        return [f for f in self if f.name.startswith(PERCENT_PREFIX)]

    def percent_field(self, insee: str) -> FrenchDecimalField:
        return self[f"{PERCENT_PREFIX}{insee}"]

    def manual_percents(self) -> dict[str, Decimal] | None:
        """INSEE code -> percent of the checked communes, for the manual key; None otherwise."""
        if self.key.data != AllocationKey.MANUAL.value:
            return None
        return {insee: self.percent_field(insee).data or Decimal(0) for insee in self.communes.data}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.key.data == AllocationKey.MANUAL.value:
            for insee in (choice.value for choice in self.communes.choices):
                field = self.percent_field(insee)
                if field.data and insee not in (self.communes.data or []):
                    field.errors = [*field.errors, "Cochez la commune pour lui donner un pourcentage."]
                    valid = False
        return valid


def split_form(communes: Sequence[tuple[str, str]], **kwargs) -> SplitForm:
    """A SplitForm with one check box and one percentage per member commune (INSEE, name)."""

    class InvoiceSplitForm(SplitForm):
        pass

    for insee, name in communes:
        setattr(
            InvoiceSplitForm,
            f"{PERCENT_PREFIX}{insee}",
            FrenchDecimalField(
                f"Pourcentage {de(name)}",
                column=Rate,
                validators=[Optional(), within(0, 100, "Un pourcentage entre 0 et 100.")],
                render_kw={"inputmode": "decimal"},
            ),
        )
    form = InvoiceSplitForm(**kwargs)
    form.communes.choices = [SelectChoice(insee, name) for insee, name in communes]
    return form


class BatchUploadForm(FrenchForm):
    """A zip of invoices as downloaded from Chorus Pro or a platform (batch intake)."""

    file = FileField(
        "Archive .zip des factures",
        validators=[
            FileRequired("Choisissez l'archive .zip des factures à importer."),
            FileAllowed(["zip"], "Une archive .zip est attendue (telle que téléchargée depuis Chorus Pro)."),
        ],
    )
