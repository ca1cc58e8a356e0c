"""Hostile uploads (issue 13, item 1): every reader of user files measures the file before any
parser allocates for it, whatever the spelling of its references, and refuses in French.

The crafted files of tests/crafted_files.py are read by the real readers in forked processes under
a memory limit (RLIMIT_AS, 1 Gio above the interpreter) and a CPU limit (tests/bounded_parse.py):
each must end normally with its refusal, not be killed by a signal nor raise MemoryError."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from groupement.campaigns.needs_sheet import HEADER_SEARCH_ROWS, MAX_COLUMNS, MAX_DATA_ROWS
from groupement.campaigns.needs_xlsx_reader import limits_for_grid, read_needs_rows
from groupement.core.files.csv_files import decode_csv, read_table
from groupement.core.files.upload_guard import (
    CATALOG_CSV,
    INVOICE_CSV,
    INVOICE_XLSX,
    NEEDS_XLSX,
    OFFER_XLSX,
    UploadRefused,
)
from groupement.core.files.xlsx_guard import check_xlsx
from groupement.core.files.xlsx_parts import _cell_reference
from groupement.core.formatting import number
from groupement.invoices.einvoice.common import MAX_LINES
from groupement.invoices.einvoice.spreadsheet_files import HEADER_SEARCH_ROWS as INVOICE_HEADER_ROWS
from tests import crafted_files
from tests.crafted_files import needs_export, with_cells

ROOT = Path(__file__).resolve().parents[2]
MILLION = number(1048576)

# What each crafted file must be refused for (a part of the French reason).
EXPECTED = {
    "besoins-XFD01048576-zeros.xlsx": f"la feuille « Besoins » a une ligne n° {MILLION} ; au plus",
    "besoins-A01048576.xlsx": f"a une ligne n° {MILLION}",
    "besoins-row-plus-1048576.xlsx": f"a une ligne n° {MILLION}",
    "besoins-minuscules-xfd1048576.xlsx": f"a une ligne n° {MILLION}",
    "besoins-dollars-$XFD$1.xlsx": "a une cellule en colonne XFD ; au plus 100 colonnes sont admises",
    "besoins-dimension-A1-XFD1048576.xlsx": f"la feuille « Besoins » déclare {MILLION} lignes ; au plus",
    "besoins-fusion-A1-XFD1048576.xlsx": f"fusionne des cellules jusqu'à la ligne {MILLION}",
    "besoins-20000-cellules-sans-reference.xlsx": "a une cellule en colonne CW",
    "besoins-1-million-de-lignes-vides.xlsx": f"a une ligne n° {number(NEEDS_XLSX.max_rows + 1)}",
    "besoins-texte-partage-95-Mo.xlsx": "« xl/sharedStrings.xml » du classeur dépasse 60 Mo une fois décompressée",
    "besoins-texte-partage-40-Mo.xlsx": f"textes partagés du classeur : un texte de plus de {number(32767)} caractères",
    "besoins-texte-en-ligne-95-Mo.xlsx": "« xl/worksheets/sheet1.xml » du classeur dépasse 60 Mo",
    "besoins-texte-en-ligne-40-Mo.xlsx": f"la feuille « Besoins » : un texte de plus de {number(32767)}",
    "besoins-texte-de-32767-dans-100000-cellules.xlsx": "caractères de texte ; ce fichier n'est pas un export",
    "besoins-partie-de-2-Go.xlsx": "contenu décompressé trop volumineux : ce fichier n'est pas un export",
    "besoins-partie-de-2-Go-annoncee-1-Ko.xlsx": "sheet1.xml.bak » du classeur dépasse 60 Mo une fois décompressée",
    "besoins-5000-feuilles.xlsx": "le classeur compte plus de 20 feuilles",
    "besoins-entites-en-cascade.xlsx": "déclaration DTD refusée dans la partie « xl/worksheets/sheet1.xml »",
    "besoins-utf16.xlsx": "fichier .xlsx endommagé ou illisible",
    "facture-5000-lignes-colonne-XFD.xlsx": "a une cellule en colonne XFD ; au plus 40 colonnes",
    "facture-dimension-minuscules.xlsx": f"déclare {MILLION} lignes",
    "facture-450000-styles.xlsx": f"la partie « xl/styles.xml » du classeur compte plus de {number(100_000)} éléments",
    "offre-XFD01048576-zeros.xlsx": f"la feuille « DQE lot 1 » a une ligne n° {MILLION}",
    "offre-dimension-A1-XFD1048576.xlsx": f"la feuille « DQE lot 1 » déclare {MILLION} lignes",
    "facture-un-octet-invalide.csv": "ligne 3 : encodage non reconnu : le 32e octet de la ligne (0xE2) n'est pas",
    "facture-5-millions-de-separateurs.csv": f"{number(5_000_001)} champs sur une ligne ; au plus 40",
    "facture-champ-de-9-Mo.csv": f"un champ de plus de {number(131072)} caractères",
    "catalogue-1-million-de-lignes.csv": f"trop de lignes ({number(50_000)} au plus)",
    "catalogue-champ-de-100000.csv": f"un champ de {number(100_000)} caractères ; au plus {number(32767)}",
    "catalogue-utf16.csv": "encodage UTF-16 non accepté",
}
# Files the readers must read without a word under the same limits: the biggest real ones.
CONTROLS = {"besoins-20000-lignes.xlsx": "needs", "facture-5000-lignes.xlsx": "invoice"}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("crafted")
    entries = []
    files = {name: (kind, content) for name, (kind, content) in crafted_files.crafted().items()}
    files["besoins-20000-lignes.xlsx"] = ("needs", needs_export(MAX_DATA_ROWS))
    files["facture-5000-lignes.xlsx"] = ("invoice", crafted_files.invoice_template(MAX_LINES))
    for index, (name, (kind, content)) in enumerate(files.items()):
        path = folder / f"{index}.bin"
        path.write_bytes(content)
        entries.append({"name": name, "kind": kind, "path": str(path)})
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps(entries))
    finished = subprocess.run(
        [sys.executable, "-m", "tests.bounded_parse", str(manifest)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    return {outcome["name"]: outcome for outcome in json.loads(finished.stdout)}


def test_every_crafted_file_has_an_expected_refusal():
    assert set(crafted_files.crafted()) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_crafted_file_is_refused_in_french_by_a_reader_that_survives_it(outcomes, name):
    outcome = outcomes[name]
    assert outcome["signal"] is None, f"tué par le signal {outcome['signal']}"
    assert outcome["exit"] == 0 and "error" not in outcome, outcome
    assert any(EXPECTED[name] in reason for reason in outcome["reasons"]), outcome["reasons"]
    assert outcome["cpu_seconds"] < 10, outcome


@pytest.mark.parametrize("name", sorted(CONTROLS))
def test_the_biggest_real_files_are_read_under_the_same_limits(outcomes, name):
    outcome = outcomes[name]
    assert outcome["signal"] is None and "error" not in outcome, outcome
    assert outcome["reasons"] == []


# --- references read as the numbers they spell ---------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "position"),
    [
        ("B12", (12, 2)),
        ("XFD01048576", (1048576, 16384)),
        ("xfd1048576", (1048576, 16384)),
        ("$XFD$1048576", (1048576, 16384)),
        ("A+1048576", (1048576, 1)),
        (" A0000001 ", (1, 1)),
        ("A1_048_576", (1048576, 1)),
        ("AAAAAAAAAAAA1", (1, 26**8)),
    ],
)
def test_a_cell_reference_is_read_as_the_number_it_spells(reference, position):
    assert _cell_reference(reference, "la feuille") == position


@pytest.mark.parametrize("reference", ["", "12", "B", "B-3", "B0", "B1.5", "B²", "B" + "9" * 50])
def test_a_reference_that_spells_no_cell_is_refused(reference):
    with pytest.raises(UploadRefused, match="illisible"):
        _cell_reference(reference, "la feuille « Besoins »")


def test_cells_and_rows_without_references_are_placed_as_spreadsheets_place_them():
    rows = (
        b'<row r="30"><c><v>1</v></c><c><v>2</v></c><c><f>1+1</f><v>2</v></c></row><row><c r="E31"><v>1</v></c></row>'
    )
    shape = check_xlsx(with_cells(needs_export(), rows), NEEDS_XLSX).sheet("Besoins")
    assert (shape.rows, shape.columns) == (31, 9)  # the export's nine columns are the widest
    assert (30, 2) in shape.formulas  # row 30, third column (from 0)


# --- the limits ---------------------------------------------------------------------------------


def test_the_limits_leave_room_for_the_files_the_application_writes():
    assert NEEDS_XLSX.max_rows >= HEADER_SEARCH_ROWS + MAX_DATA_ROWS
    assert NEEDS_XLSX.max_columns >= MAX_COLUMNS
    assert INVOICE_XLSX.max_rows >= MAX_LINES + INVOICE_HEADER_ROWS
    assert INVOICE_CSV.max_rows >= MAX_LINES + INVOICE_HEADER_ROWS
    assert OFFER_XLSX.max_sheets >= 100


def test_a_needs_file_is_bounded_by_the_size_of_the_grid():
    content = with_cells(needs_export(), b'<row r="6000"><c r="A6000"><v>1</v></c></row>')
    _, issues = read_needs_rows(content, "besoins.xlsx", limits=limits_for_grid(3))
    limit = number(HEADER_SEARCH_ROWS + 3 + 500)
    assert [(issue.row, issue.reason.split(" :")[0]) for issue in issues] == [
        (6000, f"la feuille « Besoins » a une ligne n° {number(6000)} ; au plus {limit} lignes sont admises")
    ]
    assert read_needs_rows(content, "besoins.xlsx")[1] == []  # the same file fits the largest grid


# --- CSV encodings ------------------------------------------------------------------------------


def test_a_utf8_csv_is_read_as_utf8():
    assert decode_csv("ref;désignation\nA;Crayon à papier\n".encode()) == "ref;désignation\nA;Crayon à papier\n"


def test_a_utf8_csv_with_one_bad_byte_is_refused_with_its_line_and_byte():
    content = "ref;désignation\nA;Crayon à papier\nB;Câble\n".encode().replace("Câble".encode(), b"C\xe2ble")
    with pytest.raises(UploadRefused) as refused:
        decode_csv(content)
    assert refused.value.row == 3
    assert refused.value.reason.startswith(
        "encodage non reconnu : le 4e octet de la ligne (0xE2) n'est pas de l'UTF-8 valide"
    )


def test_a_plain_windows_1252_csv_is_read_as_such():
    text = "ref;désignation\nA;Crayon à papier – 2 € l’unité\n"
    assert decode_csv(text.encode("cp1252")) == text


def test_a_csv_neither_utf8_nor_plain_windows_1252_is_refused():
    with pytest.raises(UploadRefused, match="ni de l'UTF-8 ni un caractère Windows-1252 usuel"):
        decode_csv(b"ref;designation\nA;\x86\x87\x88\n")


def test_a_csv_beyond_the_upload_size_is_refused_before_it_is_decoded():
    content = b"ref;designation\n" + b"a;b\n" * (CATALOG_CSV.max_bytes // 4)
    _, issues = read_table(content, "catalogue.csv", ("ref", "designation"))
    assert [issue.reason for issue in issues] == ["fichier trop volumineux (10 Mo ; 10 Mo au plus)"]


def test_the_catalog_takes_utf8_only():
    with pytest.raises(UploadRefused, match="n'est pas de l'UTF-8 valide"):
        decode_csv("A;Crayon à papier\n".encode("cp1252"), windows_1252=False)
