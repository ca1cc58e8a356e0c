"""The field types of groupement/web/forms.py: odd values become French messages, never exceptions
further down. The HTTP side (a NUL byte is a 400 before the form is read) is tests/e2e/test_odd_values.py."""

from __future__ import annotations

from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import SelectField, SelectMultipleField

from groupement.core.search import like_escaped
from groupement.core.types import Money, Rate, UnitPrice
from groupement.web.forms import (
    DB_INT_MAX,
    BoundedIntegerField,
    FrenchDecimalField,
    FrenchForm,
    IdField,
    LongTextField,
    TextField,
    id_coerce,
    optional_int,
    parse_bounded_decimal,
    parse_bounded_int,
    parse_id,
)

# --- decimals bounded by their column ----------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("12,5", Decimal("12.5")),
        ("1 234,56 €", Decimal("1234.56")),
        ("1\u202f234,56", Decimal("1234.56")),
        ("1234.56", Decimal("1234.56")),
        ("-0", Decimal("0")),
        (",5", Decimal("0.5")),
        ("999999999999,99", Decimal("999999999999.99")),
        ("", None),
        ("   ", None),
    ],
)
def test_a_decimal_typed_the_french_way_is_read_within_its_column(typed, value):
    assert parse_bounded_decimal(typed, Money) == value


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e30", "Nombre attendu, par exemple 12,5."),
        ("1e999999", "Nombre attendu, par exemple 12,5."),
        ("NaN", "Nombre attendu, par exemple 12,5."),
        ("inf", "Nombre attendu, par exemple 12,5."),
        ("-Infinity", "Nombre attendu, par exemple 12,5."),
        ("１２", "Nombre attendu, par exemple 12,5."),
        ("٣", "Nombre attendu, par exemple 12,5."),
        ("²", "Nombre attendu, par exemple 12,5."),
        ("1,2.3", "Nombre attendu, par exemple 12,5."),
        ("9" * 30, "Nombre trop grand : 999999999999,99 au plus."),
        ("1000000000000", "Nombre trop grand : 999999999999,99 au plus."),
        ("9" * 41, "Nombre trop long."),
        ("0,0000001", "2 décimales au plus."),
        ("0,001", "2 décimales au plus."),
        ("1\x002", "Caractère interdit (octet nul)."),
    ],
)
def test_an_odd_decimal_is_a_french_message(typed, message):
    with pytest.raises(ValueError, match=r"^" + message.replace("(", r"\(").replace(")", r"\)") + "$"):
        parse_bounded_decimal(typed, Money)


def test_the_column_gives_the_scale_and_the_digits():
    assert parse_bounded_decimal("12,3456", UnitPrice) == Decimal("12.3456")
    with pytest.raises(ValueError, match="4 décimales au plus"):
        parse_bounded_decimal("12,34567", UnitPrice)
    assert parse_bounded_decimal("999,99", Rate) == Decimal("999.99")
    with pytest.raises(ValueError, match="Nombre trop grand : 999,99 au plus."):
        parse_bounded_decimal("1000", Rate)


# --- whole numbers and ids ---------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["²", "１２", "٣", "1,5", "1e3", "0x10", "--1", "12a"])
def test_a_whole_number_is_made_of_ascii_digits_only(typed):
    with pytest.raises(ValueError, match="Nombre entier attendu."):
        parse_bounded_int(typed)


def test_a_whole_number_is_bounded_and_may_be_typed_with_spaces():
    assert parse_bounded_int("1 200", 0, 2000) == 1200
    assert parse_bounded_int("", 0, 10) is None
    with pytest.raises(ValueError, match="Nombre entier de 1 à 48 attendu."):
        parse_bounded_int("49", 1, 48)
    with pytest.raises(ValueError):
        parse_bounded_int("9" * 5000)  # beyond Python's int-from-text limit: a message, not an error


@pytest.mark.parametrize("typed", ["0", "-1", str(DB_INT_MAX + 1), str(10**30), "１", "²", "", "a"])
def test_an_id_is_from_one_to_the_database_integer_maximum(typed):
    with pytest.raises(ValueError, match="Identifiant invalide."):
        parse_id(typed)


def test_the_largest_database_integer_is_an_id():
    assert parse_id(str(DB_INT_MAX)) == DB_INT_MAX
    assert id_coerce(7) == 7 and optional_int("") is None and optional_int("12") == 12
    with pytest.raises(ValueError):
        id_coerce(DB_INT_MAX + 1)


# --- fields in a form --------------------------------------------------------------------------


class _Form(FrenchForm):
    class Meta:
        csrf = False

    amount = FrenchDecimalField("Montant", column=Money)
    percent = FrenchDecimalField("Pourcentage", column=Rate)
    months = BoundedIntegerField("Durée", minimum=1, maximum=48)
    lot_id = IdField()
    name = TextField("Nom", max_length=20)
    comment = LongTextField("Commentaire", max_length=50)
    supplier = SelectField("Fournisseur", coerce=optional_int, validate_choice=False)
    lines = SelectMultipleField("Lignes", coerce=id_coerce, validate_choice=False)


def _form(app, **data) -> _Form:
    with app.test_request_context():
        form = _Form(MultiDict(data))
        form.validate()
        return form


def test_every_field_type_reads_good_values(app):
    form = _form(
        app,
        amount="1 250,5",
        percent="33,33",
        months="24",
        lot_id="3",
        name="  Lot 1  ",
        comment="ok",
        supplier="4",
        lines=["1", "2"],
    )
    assert form.errors == {}
    assert (form.amount.data, form.percent.data, form.months.data, form.lot_id.data) == (
        Decimal("1250.5"),
        Decimal("33.33"),
        24,
        3,
    )
    assert (form.name.data, form.supplier.data, form.lines.data) == ("Lot 1", 4, [1, 2])


def test_odd_values_are_errors_beside_their_fields(app):
    form = _form(
        app,
        amount="1e999999",
        percent="0,0000001",
        months="²",
        lot_id=str(10**30),
        name="x" * 21,
        comment="y" * 51,
        supplier="2147483648",
        lines=["1", "１"],
    )
    assert form.errors == {
        "amount": ["Nombre attendu, par exemple 12,5."],
        "percent": ["2 décimales au plus."],
        "months": ["Nombre entier attendu."],
        "lot_id": ["Identifiant invalide."],
        "name": ["20 caractères au plus."],
        "comment": ["50 caractères au plus."],
        "supplier": [form.supplier.errors[0]],
        "lines": [form.lines.errors[0]],
    }
    assert form.supplier.data is None


def test_a_nul_byte_is_refused_by_the_field_types_whatever_the_field(app):
    form = _form(app, amount="1\x00", months="1\x00", name="a\x00b", comment="\x00", supplier="1\x00", lines=["\x00"])
    for name in ("amount", "months", "name", "comment", "supplier", "lines"):
        assert "Caractère interdit (octet nul)." in form.errors[name], name


# --- LIKE escaping -----------------------------------------------------------------------------


def test_like_wildcards_and_the_escape_character_are_escaped():
    assert like_escaped("10 %") == "10 \\%"
    assert like_escaped("a_b") == "a\\_b"
    assert like_escaped("c:\\temp") == "c:\\\\temp"
    assert like_escaped("écran 24") == "écran 24"
