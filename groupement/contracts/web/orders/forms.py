"""Forms of the orders pages. The order form has one quantity per contract price and no price
field at all: the service copies the prices from the contract."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms import DateField, Field
from wtforms.validators import InputRequired, Length
from wtforms.widgets import TextInput

from groupement.campaigns.rules import parse_quantity
from groupement.contracts.order_rules import OrderRefused, parse_order_quantity
from groupement.contracts.orders import MAX_ADDRESS_LENGTH, MAX_ENGAGEMENT_LENGTH
from groupement.web.forms import NUL_MESSAGE, FrenchForm, LongTextField, TextField

QUANTITY_PREFIX = "quantite_"


class QuantityField(Field):
    """A whole number typed the French way ('1 200'); blank means 0 (not ordered)."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, blank_is_zero: bool = True, **kw):
        super().__init__(label, validators, **kw)
        self.blank_is_zero = blank_is_zero

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if not self.data else str(self.data)

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        text = valuelist[0]
        if "\x00" in text:
            self.data = None
            raise ValueError(NUL_MESSAGE)
        if not self.blank_is_zero and not text.strip():
            self.data = None  # InputRequired says so
            return
        try:
            self.data = parse_quantity(text) if self.blank_is_zero else parse_order_quantity(text)
        except (ValueError, OrderRefused) as error:  # parse_quantity's ValueError, the order's refusal
            self.data = None
            raise ValueError(_sentence(str(error))) from None


class OrderForm(FrenchForm):
    delivery_address = LongTextField(
        "Adresse de livraison",
        validators=[
            InputRequired("L'adresse de livraison est obligatoire."),
            Length(max=MAX_ADDRESS_LENGTH, message=f"{MAX_ADDRESS_LENGTH} caractères au plus."),
        ],
        render_kw={"rows": 4},
    )
    engagement_number = TextField(
        "Numéro d'engagement juridique (facultatif)",
        max_length=MAX_ENGAGEMENT_LENGTH,
        render_kw={"autocomplete": "off"},
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not self.ordered():
            self.form_errors.append("Indiquez au moins une quantité à commander.")
            return False
        return valid

    def quantity_fields(self) -> list[QuantityField]:
        return [f for f in self if f.name.startswith(QUANTITY_PREFIX)]

    def quantity_field(self, price_id: int) -> QuantityField:
        return self[f"{QUANTITY_PREFIX}{price_id}"]

    def ordered(self) -> list[tuple[int, int]]:
        """(contract price id, quantity) of the lines with a quantity, in the form's order."""
        return [(int(f.name.removeprefix(QUANTITY_PREFIX)), f.data) for f in self.quantity_fields() if f.data]


def order_form(price_ids: Iterable[int], **kwargs) -> OrderForm:
    """An OrderForm with one quantity field per contract price of the contract."""

    class ContractOrderForm(OrderForm):
        pass

    for price_id in price_ids:
        setattr(ContractOrderForm, f"{QUANTITY_PREFIX}{price_id}", QuantityField("Quantité"))
    return ContractOrderForm(**kwargs)


class DeliveryForm(FrenchForm):
    delivered_on = DateField(
        "Date de réception",
        validators=[InputRequired("La date de réception est obligatoire.")],
    )
    quantity = QuantityField(
        "Quantité reçue", validators=[InputRequired("La quantité reçue est obligatoire.")], blank_is_zero=False
    )


def _sentence(message: str) -> str:
    """'la quantité doit…' -> 'La quantité doit….'"""
    message = message[:1].upper() + message[1:]
    return message if message.endswith(".") else message + "."
