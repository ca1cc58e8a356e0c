"""Forms of the recovery titles and their payments. Amounts are typed the French way and never
become floats; dates are checked here for what the form alone can tell (the use case checks again,
with the invoice's date)."""

from __future__ import annotations

from wtforms import DateField, HiddenField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from groupement.core.formatting import date_fr
from groupement.core.timeutil import paris_today
from groupement.core.types import Money
from groupement.invoices.title_rules import REASON_MAX
from groupement.web.forms import FrenchDecimalField, FrenchForm, LongTextField, TextField


class TitlesForm(FrenchForm):
    due_date = DateField(
        "Date d'échéance des titres", validators=[InputRequired("La date d'échéance est obligatoire.")]
    )

    def validate_due_date(self, field) -> None:
        today = paris_today()
        if field.data is not None and field.data < today:
            raise ValidationError(
                f"La date d'échéance ({date_fr(field.data)}) est passée : choisissez le {date_fr(today)} ou après."
            )


class PaymentForm(FrenchForm):
    paid_on = DateField("Date d'encaissement", validators=[InputRequired("La date d'encaissement est obligatoire.")])
    amount = FrenchDecimalField(
        "Montant encaissé (€)",
        column=Money,
        validators=[InputRequired("Le montant encaissé est obligatoire.")],
        render_kw={"inputmode": "decimal"},
    )
    reference = TextField(
        "Référence (mandat, virement)", validators=[Optional(), Length(max=100, message="100 caractères au plus.")]
    )


class CancelTitleForm(FrenchForm):
    reason = LongTextField(
        "Motif de l'annulation",
        validators=[
            InputRequired("Le motif de l'annulation est obligatoire."),
            Length(max=REASON_MAX, message=f"{REASON_MAX} caractères au plus."),
        ],
        render_kw={"rows": 2, "maxlength": REASON_MAX},
    )


class TitlesBatchForm(TitlesForm):
    """The confirmation of « émettre les titres de toutes les factures réparties »: the due date and
    the fingerprint of the invoices the page showed (invoices/titles_job.py)."""

    seen = HiddenField(
        "Page de confirmation", validators=[InputRequired("Rechargez la page de confirmation."), Length(max=64)]
    )
