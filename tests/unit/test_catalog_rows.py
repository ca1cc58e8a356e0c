from decimal import Decimal

import pytest

from groupement.catalog.rules import CATALOG_COLUMNS, CatalogEntry, RawRow, diff_catalog, validate_entries
from groupement.core.files.csv_files import read_table
from groupement.core.identifiers import CpvNomenclature
from groupement.organisations.families import Family

CPV = CpvNomenclature([("30213100-6", "Ordinateurs portables"), ("30197630-1", "Papier")])
GOOD = {
    "ref": "inf-port-14",
    "designation": "Ordinateur portable 14 pouces",
    "famille": "informatique",
    "code_cpv": "30213100-6",
    "unite": "unité",
    "prix_unitaire_ht": "849,00",
    "taux_tva": "20,00",
    "eco_participation": "1,50",
    "compte_m57": "2183",
}


def row(line=2, **changes):
    return RawRow("cat.csv", line, {**GOOD, **changes})


def test_a_good_row_becomes_an_entry_with_exact_decimals_and_an_uppercase_ref():
    entries, issues = validate_entries([row()], CPV)
    assert issues == []
    assert entries == [
        CatalogEntry(
            "INF-PORT-14",
            "Ordinateur portable 14 pouces",
            Family.INFORMATIQUE,
            "30213100-6",
            "unité",
            Decimal("849.0000"),
            Decimal("20.00"),
            Decimal("1.5000"),
            "2183",
        )
    ]


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("code_cpv", "30213100-5", "clé de contrôle"),
        ("code_cpv", "", "obligatoire"),
        ("prix_unitaire_ht", "-3,00", "négatif"),
        ("prix_unitaire_ht", "douze", "n'est pas un nombre"),
        ("prix_unitaire_ht", "0,00", "strictement positif"),
        ("prix_unitaire_ht", "1,23456", "4 décimales"),
        ("prix_unitaire_ht", "99999999999", "invraisemblable"),
        ("taux_tva", "120", "invraisemblable"),
        ("famille", "mobilier", "inconnue"),
        ("compte_m57", "6251", "inattendu"),
        ("designation", "x" * 301, "trop long"),
    ],
)
def test_each_bad_value_is_named_with_its_line_and_column(column, value, reason):
    entries, issues = validate_entries([row(line=7, **{column: value})], CPV)
    assert entries == []
    assert len(issues) == 1
    assert (issues[0].row, issues[0].column) == (7, column)
    assert reason in issues[0].reason


def test_every_problem_of_every_row_is_listed_not_only_the_first():
    rows = [row(2, code_cpv="1"), row(3, ref="B", prix_unitaire_ht="-1", famille="x"), row(4, ref="C")]
    _, issues = validate_entries(rows, CPV)
    assert [(i.row, i.column) for i in issues] == [(2, "code_cpv"), (3, "famille"), (3, "prix_unitaire_ht")]


def test_a_ref_repeated_across_files_is_refused_with_the_first_place_named():
    rows = [RawRow("a.csv", 2, GOOD), RawRow("b.csv", 9, {**GOOD, "ref": "INF-PORT-14 "})]
    _, issues = validate_entries(rows, CPV)
    assert len(issues) == 1
    assert issues[0].file == "b.csv" and "a.csv, ligne 2" in issues[0].reason


def test_diff_sorts_entries_into_created_updated_and_unchanged():
    entries, _ = validate_entries([row(2), row(3, ref="NEW", prix_unitaire_ht="10")], CPV)
    cheaper = entries[0].__class__(**{**entries[0].as_dict(), "unit_price_ht": Decimal("800")})
    diff = diff_catalog(entries, {"INF-PORT-14": cheaper})
    assert [e.ref for e in diff.created] == ["NEW"]
    assert diff.updated[0][1] == {"unit_price_ht": (Decimal("800"), Decimal("849.0000"))}
    assert diff_catalog(entries[:1], {"INF-PORT-14": entries[0]}).unchanged == (entries[0],)


def header_line(columns=CATALOG_COLUMNS) -> bytes:
    return (";".join(columns) + "\n").encode()


def test_a_csv_in_latin1_is_refused_with_the_line_of_the_first_bad_byte():
    content = header_line() + "A;Crayon à papier;fournitures\n".encode("latin-1")
    rows, issues = read_table(content, "cat.csv", CATALOG_COLUMNS)
    assert rows == [] and issues[0].row == 2 and "UTF-8" in issues[0].reason


def test_missing_and_unexpected_columns_are_each_reported():
    columns = [c for c in CATALOG_COLUMNS if c != "taux_tva"] + ["remise"]
    _, issues = read_table(header_line(columns), "cat.csv", CATALOG_COLUMNS)
    assert {(i.column, i.reason) for i in issues} == {
        ("taux_tva", "colonne obligatoire absente de l'en-tête"),
        ("remise", "colonne inattendue"),
    }


def test_a_utf8_bom_and_comma_separator_are_accepted_and_ragged_rows_reported():
    content = (
        "\ufeff".encode()
        + header_line().replace(b";", b",")
        + b"a,b\n"
        + b",".join(v.encode() for v in GOOD.values())
        .replace(b"849,00", b"849.00")
        .replace(b"20,00", b"20")
        .replace(b"1,50", b"1.5")
        + b"\n"
    )
    rows, issues = read_table(content, "cat.csv", CATALOG_COLUMNS)
    assert [i.row for i in issues] == [2]
    assert rows[0].values["ref"] == "inf-port-14" and rows[0].line == 3


def test_an_empty_file_is_refused():
    assert read_table(b"  \n", "vide.csv", CATALOG_COLUMNS)[1][0].reason == "le fichier est vide"
