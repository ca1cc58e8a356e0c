"""core.numbers.parse_bounded_decimal: what a Numeric(p, s) column holds, or a French refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from groupement.core import numbers
from groupement.core.numbers import InvalidNumber, parse_bounded_decimal, parse_within
from groupement.core.types import Money, Rate, UnitPrice


def money(text):
    return parse_bounded_decimal(text, max_digits=14, scale=2, field="montant")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 234,56", "1234.56"),
        ("1234.56", "1234.56"),
        ("-3", "-3"),
        ("12,5 €", "12.5"),
        ("1\u202f234,50", "1234.50"),
        (" 7 ", "7"),
        (".5", "0.5"),
        ("1e2", "100"),
        (3, "3"),
        (0.1, "0.1"),
        (Decimal("999999999999.99"), "999999999999.99"),
        ("999999999999,99", "999999999999.99"),
        ("0,00", "0.00"),
        ("12,3400", "12.3400"),
    ],
)
def test_plain_numbers_within_the_column_are_read_unrounded(text, expected):
    assert money(text) == Decimal(expected)
    assert str(money(text)) == str(Decimal(expected.replace(",", ".")))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1e30", "trop grand (12 chiffres au plus avant la virgule)"),
        ("9" * 30, "trop grand"),
        ("1e999999", "trop grand"),
        ("-1e999999", "trop grand"),
        ("1000000000000", "trop grand"),
        (10**40, "trop grand"),
        ("0,001", "serait arrondi à 0 avec 2 décimales"),
        ("1e-999999", "serait arrondi à 0"),
        ("12,345", "trop de décimales (2 au plus)"),
        ("NaN", "n'est pas un nombre"),
        ("Infinity", "n'est pas un nombre"),
        (float("inf"), "n'est pas un nombre"),
        (Decimal("NaN"), "n'est pas un nombre fini"),
        ("1.234,56", "ambigu"),
        ("1,234,567", "n'est pas un nombre"),
        ("--3", "n'est pas un nombre"),
        ("12 kg", "n'est pas un nombre"),
        ("", "n'est pas un nombre"),
        (True, "nombre attendu"),
        ("1" * 65, "nombre trop long (65 caractères ; 64 au plus)"),
        ("\uff12", "chiffre « \uff12 » refusé dans « \uff12 » (chiffres 0 à 9 attendus)"),  # full-width 2
        ("\u00b2", "chiffre « \u00b2 » refusé"),  # superscript 2
        ("\u0663", "chiffre « \u0663 » refusé"),  # Arabic-Indic 3
        ("1\u0662,5", "chiffre"),
    ],
)
def test_odd_values_are_refused_with_a_french_reason_naming_the_field(text, reason):
    with pytest.raises(InvalidNumber) as refused:
        money(text)
    assert reason in refused.value.reason
    assert str(refused.value).startswith("montant : ")
    assert isinstance(refused.value, ValueError)  # the readers' `except ValueError` still apply


def test_a_tiny_quantity_is_refused_rather_than_rounded_to_zero_at_four_decimals():
    with pytest.raises(InvalidNumber, match="serait arrondi à 0 avec 4 décimales"):
        parse_bounded_decimal("0,0000001", max_digits=14, scale=4)
    assert parse_bounded_decimal("0,0001", max_digits=14, scale=4) == Decimal("0.0001")
    with pytest.raises(InvalidNumber, match="trop de décimales"):
        parse_bounded_decimal("0,00015", max_digits=14, scale=4)


def test_without_a_field_the_message_is_the_reason_alone():
    with pytest.raises(InvalidNumber) as refused:
        parse_bounded_decimal("abc", max_digits=5, scale=2)
    assert str(refused.value) == refused.value.reason == "« abc » n'est pas un nombre"


def test_the_rate_column_holds_three_integer_digits():
    assert parse_bounded_decimal("100", max_digits=5, scale=2) == 100
    with pytest.raises(InvalidNumber, match="3 chiffres au plus"):
        parse_bounded_decimal("1000", max_digits=5, scale=2)


def test_the_bounds_are_those_of_the_column_types():
    for bounds, column in ((numbers.MONEY, Money), (numbers.UNIT_PRICE, UnitPrice), (numbers.RATE, Rate)):
        assert (bounds.max_digits, bounds.scale) == (column.precision, column.scale)
    assert numbers.QUANTITY == numbers.UNIT_PRICE


def test_a_price_as_written_in_an_e_invoice_may_have_more_decimals_than_the_column():
    from groupement.core.numbers import PRICE_AS_WRITTEN

    assert parse_within("0.123456", PRICE_AS_WRITTEN) == Decimal("0.123456")
    assert parse_within("12.5", PRICE_AS_WRITTEN) == Decimal("12.5")
    with pytest.raises(InvalidNumber, match="arrondi à 0"):
        parse_within("0.0000001", PRICE_AS_WRITTEN)
    with pytest.raises(InvalidNumber):
        parse_within("1e30", PRICE_AS_WRITTEN)
