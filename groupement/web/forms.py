"""Form pieces every feature's pages use: French messages, French decimals, error flashes."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import flash
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.i18n import get_translations
from wtforms.validators import ValidationError
from wtforms.widgets import TextInput


class FrenchForm(FlaskForm):
    """WTForms' own messages (not an integer, not a valid choice...) in French."""

    class Meta:
        def get_translations(self, form):
            return get_translations(["fr_FR", "fr"])


def within(low, high, message: str):
    """NumberRange, silent when the value could not be read (that error is already shown)."""

    def check(form, field) -> None:
        if field.data is not None and not low <= field.data <= high:
            raise ValidationError(message)

    return check


class FrenchDecimalField(Field):
    """A decimal typed the French way: '12,5', '250 000', '1 234,56 €'. Never a float."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, invalid_value_message="Nombre attendu, par exemple 12,5.", **kw):
        super().__init__(label, validators, **kw)
        self.invalid_value_message = invalid_value_message

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        text = format(self.data, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")  # 20.00 -> 20, 12.50 -> 12,5
        return text.replace(".", ",")

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        cleaned = "".join(valuelist[0].split()).replace("€", "").replace(",", ".")
        if not cleaned:
            self.data = None
            return
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self.data = None
            raise ValueError(self.invalid_value_message)
        self.data = value


def optional_int(value) -> int | None:
    """Coerce for a select whose first option, '', says 'choose'."""
    return None if value in ("", None) else int(value)


def flash_errors(form, labelled: bool = False) -> None:
    """Each error of a refused form as an error flash; `labelled` names the field first
    (for forms whose messages do not say which field they are about)."""
    for message in getattr(form, "form_errors", []):
        flash(message, "error")
    for field in form:
        for message in field.errors:
            flash(f"{field.label.text} : {message}" if labelled else message, "error")
