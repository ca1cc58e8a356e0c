from datetime import date, datetime
from decimal import Decimal

import pytest

from groupement.core.files.xlsx import escape_text
from groupement.core.formatting import date_fr, datetime_fr, euros, number, slug
from groupement.core.money import parse_decimal, to_cents

NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1 234,56", "1234.56"),
        ("1234.56", "1234.56"),
        ("12,5 €", "12.5"),
        (3, "3"),
        (0.1, "0.1"),
        ("1\u202f234,5", "1234.5"),
    ],
)
def test_decimals_written_by_people_parse_exactly(raw, value):
    assert parse_decimal(raw) == Decimal(value)


@pytest.mark.parametrize("raw", ["1.234,56", "abc", "NaN", "inf", True])
def test_ambiguous_or_non_numbers_are_refused(raw):
    with pytest.raises(ValueError):
        parse_decimal(raw)


def test_cents_round_half_up():
    assert to_cents(Decimal("0.125")) == Decimal("0.13")
    assert to_cents(Decimal("-0.125")) == Decimal("-0.13")


def test_french_formats():
    assert euros(Decimal("1234.56")) == f"1{NNBSP}234,56\u00a0€"
    assert number(Decimal("111450")) == f"111{NNBSP}450"
    assert date_fr(date(2026, 11, 28)) == "28/11/2026"
    # Stored in UTC, shown in Paris time (UTC+1 in winter).
    assert datetime_fr(datetime(2026, 11, 28, 23, 30)) == "29/11/2026 à 00:30"


@pytest.mark.parametrize(
    "values",
    [
        (Decimal("0"), Decimal("-0"), 0, 0.0, -0.0, Decimal("0.00")),
        (Decimal("1.005"), Decimal("1.0050"), Decimal("1.015"), 1.005),
        (Decimal("2"), 2, 2.0, Decimal("2.000")),
    ],
)
def test_remembered_formats_are_babels_whatever_came_first(values):
    """euros() and number() remember babel's answers: values equal as numbers but written
    differently (-0 and 0, an int and a float) must still each get babel's own text."""
    from babel.numbers import format_currency, format_decimal

    for _ in range(2):  # the second pass reads what the first remembered
        for value in values:
            assert euros(value) == format_currency(value, "EUR", locale="fr_FR")
            assert number(value) == format_decimal(value, locale="fr_FR")
            assert number(value, 2) == format_decimal(value, format="#,##0.00", locale="fr_FR")


@pytest.mark.parametrize("text", ["=1+1", "+33", "-2", "@SUM(A1)", "\tx"])
def test_text_a_spreadsheet_would_run_is_escaped(text):
    assert escape_text(text) == "'" + text


def test_ordinary_text_is_left_alone():
    assert escape_text("Ramette A4 - 80 g") == "Ramette A4 - 80 g"


def test_titles_for_equipment_go_through_the_mandate_account_and_other_costs_through_70875():
    from groupement.invoices.states import recovery_account

    assert recovery_account("2183") == recovery_account("2182") == "4582"
    assert recovery_account("6064") == recovery_account(None) == "70875"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lot 2 - Papier et enveloppes", "lot-2-papier-et-enveloppes"),
        ("Échirolles", "echirolles"),
        ("Saint-Étienne-de-Saint-Geoirs", "saint-etienne-de-saint-geoirs"),
        ("  L'Isle-d'Abeau  ", "l-isle-d-abeau"),
        ("Recensement 2027 (fournitures)", "recensement-2027-fournitures"),
        ("FAC_2026/001", "fac-2026-001"),
        ("Œuvre — cœur", "uvre-cur"),  # NFKD does not decompose œ: dropped, as in the old file names
    ],
)
def test_a_slug_is_ascii_lowercase_words_joined_by_single_hyphens(text, expected):
    assert slug(text) == expected


def test_a_slug_is_cut_to_its_length_without_a_hyphen_at_the_end():
    assert slug("abc def ghi", length=4) == "abc"
    assert len(slug("x" * 200)) == 60
    assert slug("Grenoble-Alpes Métropole", length=8) == "grenoble"


def test_a_slug_of_nothing_readable_is_the_default():
    assert slug("") == "fichier"
    assert slug("— ! —") == "fichier"
    assert slug("日本", default="besoins") == "besoins"
