"""Forms of the supplier space and the shop."""

from __future__ import annotations

from wtforms import DateField, EmailField
from wtforms.validators import InputRequired, Length, Optional

from groupement.contracts.orders import MAX_ADDRESS_LENGTH, MAX_ENGAGEMENT_LENGTH
from groupement.contracts.web.orders.forms import QuantityField
from groupement.suppliers.accounts import MAX_EMAIL_LENGTH, MAX_NAME_LENGTH
from groupement.web.forms import BoundedIntegerField, FrenchForm, IdField, LongTextField, TextField


class AcknowledgeForm(FrenchForm):
    planned_delivery_on = DateField("Date de livraison prévue (facultative)", validators=[Optional()])


class PlanDeliveryForm(FrenchForm):
    planned_delivery_on = DateField(
        "Date de livraison prévue", validators=[InputRequired("La date de livraison prévue est obligatoire.")]
    )
    version = BoundedIntegerField(
        "Version", validators=[InputRequired("Rechargez la page.")], minimum=1, render_kw={"type": "hidden"}
    )


class DeclareDeliveryForm(FrenchForm):
    delivered_on = DateField("Date de livraison", validators=[InputRequired("La date de livraison est obligatoire.")])
    quantity = QuantityField(
        "Quantité livrée", validators=[InputRequired("La quantité livrée est obligatoire.")], blank_is_zero=False
    )


class InviteForm(FrenchForm):
    name = TextField("Nom et prénom", validators=[InputRequired("Le nom est obligatoire.")], max_length=MAX_NAME_LENGTH)
    email = EmailField(
        "Adresse électronique",
        validators=[
            InputRequired("L'adresse électronique est obligatoire."),
            Length(max=MAX_EMAIL_LENGTH, message=f"{MAX_EMAIL_LENGTH} caractères au plus."),
        ],
    )


class AddToBasketForm(FrenchForm):
    contract_price_id = IdField("Article", validators=[InputRequired("Choisissez un article.")])
    quantity = QuantityField(
        "Quantité", validators=[InputRequired("La quantité est obligatoire.")], blank_is_zero=False
    )


class BasketQuantityForm(FrenchForm):
    quantity = QuantityField("Quantité (0 pour retirer)", validators=[InputRequired("La quantité est obligatoire.")])


class PlaceBasketForm(FrenchForm):
    delivery_address = LongTextField(
        "Adresse de livraison",
        validators=[InputRequired("L'adresse de livraison est obligatoire.")],
        max_length=MAX_ADDRESS_LENGTH,
        render_kw={"rows": 4},
    )
    engagement_number = TextField("Numéro d'engagement juridique (facultatif)", max_length=MAX_ENGAGEMENT_LENGTH)
