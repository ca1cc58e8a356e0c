"""Reading a bidder's priced DQE: the file dqe_workbook wrote, filled in with openpyxl as a bidder would."""

import io
import shutil
import subprocess
from decimal import Decimal

import openpyxl
import pytest

from groupement.tenders.offer_analysis_xlsx import AnalysisSheet, analysis_workbook
from groupement.tenders.offer_xlsx import read_offer_workbook
from groupement.tenders.tender_data import TenderLine, TenderLot, dqe_totals
from groupement.tenders.tender_layout import (
    DESIGNATION,
    DQE_COLUMNS,
    ECO,
    FIRST_LINE_ROW,
    LINE_KEY,
    QUANTITY,
    UNIT_PRICE,
    dqe_total_rows,
)
from groupement.tenders.tender_xlsx import all_lots_workbook, dqe_workbook

D = Decimal
NAME = "offre-bureau-plus.xlsx"
WHERE = f"{NAME}, onglet « DQE lot 2 »"
COLUMN = {title: index for index, title in enumerate(DQE_COLUMNS, start=1)}


def line(n: int, key: str, quantity: int, designation: str = "") -> TenderLine:
    return TenderLine(
        line_key=key,
        number=n,
        ref=f"FOU-{n}",
        designation=designation or f"Article {n}",
        unit="unité",
        cpv="30197630-1",
        quantity=quantity,
        vat_rate=D("20.00"),
        estimated_unit_price=D("4.20"),
    )


LOT = TenderLot(
    "12",
    2,
    "Papier et enveloppes",
    "Groupement CAPI",
    "Recensement 2027",
    (line(1, "C7-I1", 150), line(2, "C7-I2", 40, "=Enveloppes piégées"), line(3, "C7-I3", 5)),
)
OTHER_LOT = TenderLot("13", 3, "Écrans", "Groupement CAPI", "Recensement 2027", (line(1, "C7-I9", 6),))
PRICES = {"C7-I1": (D("3.95"), None), "C7-I2": (D("12.5"), D("0.05")), "C7-I3": (D("149.9"), D(0))}


def priced(lot: TenderLot = LOT, prices=PRICES, edit=None) -> bytes:
    """The lot's DQE with prices typed in, then whatever `edit(sheet)` does."""
    workbook = openpyxl.load_workbook(io.BytesIO(dqe_workbook(lot)))
    sheet = workbook.worksheets[0]
    rows = {sheet.cell(row, COLUMN[LINE_KEY]).value: row for row in range(FIRST_LINE_ROW, sheet.max_row + 1)}
    for key, (unit_price, eco) in prices.items():
        sheet.cell(rows[key], COLUMN[UNIT_PRICE]).value = unit_price
        sheet.cell(rows[key], COLUMN[ECO]).value = eco
    if edit:
        edit(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read(content: bytes, lot: TenderLot = LOT):
    return read_offer_workbook(content, NAME, lot)


def reasons(result) -> list[tuple]:
    return [(issue.row, issue.column, issue.reason) for issue in result.issues]


def test_a_priced_dqe_gives_every_price_by_line_identifier():
    result = read(priced())
    assert result.issues == []
    assert {key: (p.unit_price, p.eco_participation) for key, p in result.prices.items()} == {
        "C7-I1": (D("3.95"), D(0)),  # an empty eco-participation is 0
        "C7-I2": (D("12.5"), D("0.05")),
        "C7-I3": (D("149.9"), D(0)),
    }
    assert [p.row for p in result.prices.values()] == [8, 9, 10]
    assert result.declared_total_ht is None  # formulas never computed: nothing declared
    assert result.sheet == "DQE lot 2"


def test_reordered_rows_are_matched_by_their_hidden_identifier():
    def swap(sheet):
        first, last = FIRST_LINE_ROW, FIRST_LINE_ROW + 2
        for column in range(1, len(DQE_COLUMNS) + 1):
            a, b = sheet.cell(first, column), sheet.cell(last, column)
            a.value, b.value = b.value, a.value

    result = read(priced(edit=swap))
    assert result.issues == []
    assert result.prices["C7-I3"].row == FIRST_LINE_ROW and result.prices["C7-I3"].unit_price == D("149.9")
    assert result.prices["C7-I1"].row == FIRST_LINE_ROW + 2


def test_a_total_typed_by_the_bidder_is_read_as_declared():
    ht_row = dqe_total_rows(LOT)[0]

    def declare(sheet):
        sheet.cell(ht_row, COLUMN["Total HT"]).value = 1234.56

    assert read(priced(edit=declare)).declared_total_ht == D("1234.56")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice absent : installez libreoffice-calc-nogui")
def test_a_file_saved_by_a_spreadsheet_program_declares_the_total_it_computed(tmp_path):
    source = tmp_path / "source" / NAME
    source.parent.mkdir()
    source.write_bytes(priced())
    command = ["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--norestore"]
    command += ["--convert-to", "xlsx", "--outdir", str(tmp_path / "saved"), str(source)]
    subprocess.run(command, check=True, capture_output=True, timeout=300)

    result = read((tmp_path / "saved" / NAME).read_bytes())
    assert result.issues == []
    prices = {key: (unit, eco or D(0)) for key, (unit, eco) in PRICES.items()}
    assert result.declared_total_ht == dqe_totals(LOT.lines, prices).ht == D("1844.00")  # 592,50 + 502 + 749,50


def test_the_lots_sheet_is_found_in_the_workbook_of_all_lots():
    workbook = openpyxl.load_workbook(io.BytesIO(all_lots_workbook([OTHER_LOT, LOT])))
    sheet = workbook["DQE lot 2"]
    for row in range(FIRST_LINE_ROW, FIRST_LINE_ROW + 3):
        sheet.cell(row, COLUMN[UNIT_PRICE]).value = 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = read(buffer.getvalue())
    assert result.issues == [] and len(result.prices) == 3


def test_a_missing_line_is_refused_naming_it():
    result = read(priced(edit=lambda sheet: sheet.delete_rows(FIRST_LINE_ROW + 1)))
    assert reasons(result) == [
        (None, LINE_KEY, "ligne absente : n° 2, FOU-2 « =Enveloppes piégées » (identifiant « C7-I2 »)")
    ]
    assert result.issues[0].file == WHERE


def test_extra_lines_are_refused_with_their_row():
    def add(sheet):
        sheet.insert_rows(FIRST_LINE_ROW + 3, 2)
        sheet.cell(FIRST_LINE_ROW + 3, COLUMN[DESIGNATION]).value = "Article ajouté"
        sheet.cell(FIRST_LINE_ROW + 3, COLUMN[UNIT_PRICE]).value = 10
        sheet.cell(FIRST_LINE_ROW + 4, COLUMN[LINE_KEY]).value = "C7-I999"
        sheet.cell(FIRST_LINE_ROW + 4, COLUMN[UNIT_PRICE]).value = 10

    result = read(priced(edit=add))
    assert [(row, column) for row, column, _ in reasons(result)] == [(11, LINE_KEY), (12, LINE_KEY)]
    assert "ligne ajoutée (sans identifiant)" in result.issues[0].reason
    assert result.issues[1].reason == "ligne en trop : l'identifiant « C7-I999 » n'appartient pas à ce lot"


def test_a_duplicated_line_is_refused_even_below_the_totals():
    def duplicate(sheet):
        for column in range(1, len(DQE_COLUMNS) + 1):
            sheet.cell(16, column).value = sheet.cell(FIRST_LINE_ROW, column).value

    issues = reasons(read(priced(edit=duplicate)))
    assert issues == [(16, LINE_KEY, "ligne en double (identifiant « C7-I1 » déjà lu ligne 8)")]


@pytest.mark.parametrize(
    ("value", "column", "reason"),
    [
        (None, UNIT_PRICE, "prix unitaire HT manquant : chiffrez chaque ligne du DQE"),
        ("  ", UNIT_PRICE, "prix unitaire HT manquant : chiffrez chaque ligne du DQE"),
        ("abc", UNIT_PRICE, "« abc » n'est pas un montant en euros"),
        (-2.5, UNIT_PRICE, "montant négatif (-2.5) : un prix est positif ou nul"),
        ("=3*2", UNIT_PRICE, "formule interdite dans une cellule de prix : saisissez le montant lui-même"),
        (1.23456, UNIT_PRICE, "1.23456 : 4 décimales au plus"),
        ("=B9", ECO, "formule interdite dans une cellule de prix : saisissez le montant lui-même"),
        ("gratuit", ECO, "« gratuit » n'est pas un montant en euros"),
        (-1, ECO, "montant négatif (-1) : un prix est positif ou nul"),
    ],
)
def test_a_bad_price_is_refused_with_its_sheet_row_and_column(value, column, reason):
    def spoil(sheet):
        sheet.cell(FIRST_LINE_ROW + 1, COLUMN[column]).value = value

    result = read(priced(edit=spoil))
    assert reasons(result) == [(FIRST_LINE_ROW + 1, column, reason)]
    assert result.issues[0].file == WHERE
    assert "C7-I2" not in result.prices


def test_a_price_written_the_french_way_as_text_is_read():
    def as_text(sheet):
        sheet.cell(FIRST_LINE_ROW, COLUMN[UNIT_PRICE]).value = "1 234,5"

    result = read(priced(edit=as_text))
    assert result.issues == [] and result.prices["C7-I1"].unit_price == D("1234.5")


def test_a_changed_quantity_or_designation_is_refused():
    def tamper(sheet):
        sheet.cell(FIRST_LINE_ROW, COLUMN[QUANTITY]).value = 100
        sheet.cell(FIRST_LINE_ROW + 2, COLUMN[DESIGNATION]).value = "Article 3 reconditionné"

    assert reasons(read(priced(edit=tamper))) == [
        (8, QUANTITY, "quantité modifiée : 100 au lieu de 150 (ligne n° 1) ; les quantités du DQE ne se modifient pas"),
        (10, DESIGNATION, "désignation modifiée : « Article 3 reconditionné » au lieu de « Article 3 » (ligne n° 3)"),
    ]


def test_every_error_of_the_file_is_listed_at_once():
    def spoil(sheet):
        sheet.cell(FIRST_LINE_ROW, COLUMN[UNIT_PRICE]).value = None
        sheet.cell(FIRST_LINE_ROW + 1, COLUMN[QUANTITY]).value = 1
        sheet.delete_rows(FIRST_LINE_ROW + 2)

    assert [(row, column) for row, column, _ in reasons(read(priced(edit=spoil)))] == [
        (8, UNIT_PRICE),
        (9, QUANTITY),
        (None, LINE_KEY),
    ]


def test_the_dqe_of_another_lot_is_refused_with_one_clear_error():
    result = read(priced(OTHER_LOT, {"C7-I9": (D(100), None)}))
    assert len(result.issues) == 1
    issue = result.issues[0]
    assert issue.file == f"{NAME}, onglet « DQE lot 3 »"
    assert issue.reason.startswith("ce fichier n'est pas le DQE du lot n° 2 « Papier et enveloppes »")
    assert result.prices == {}


def test_a_sheet_without_the_identifier_column_is_refused():
    def drop(sheet):
        sheet.delete_cols(COLUMN[LINE_KEY])

    issues = reasons(read(priced(edit=drop)))
    assert len(issues) == 1 and "en-tête du DQE introuvable" in issues[0][2]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"Ref;Prix\nFOU-1;3,95\n", "ce fichier est un texte (CSV ?) renommé en .xlsx"),
        (b"%PDF-1.7 offre", "ce fichier est un document PDF, pas un classeur Excel .xlsx"),
        (b"", "le fichier est vide"),
        (b"PK\x03\x04 truncated", "fichier .xlsx endommagé ou illisible"),
    ],
)
def test_a_file_that_is_not_an_xlsx_is_refused(content, reason):
    result = read(content)
    assert len(result.issues) == 1 and result.issues[0].reason.startswith(reason)
    assert result.issues[0].file == NAME


def test_the_analysis_workbook_holds_the_ranking_and_escapes_text():
    content = analysis_workbook(
        AnalysisSheet(
            title="Rapport d'analyse des offres : lot n° 2",
            facts=[("Lot", "n° 2 : Papier"), ("Estimation de l'acheteur (total DQE HT)", D("1000.00"))],
            method=["Note prix = poids du prix × total le plus bas ÷ total de l'offre."],
            rows=[
                (1, "=Bureau Plus", "non", D("900.00"), None, D("60.00"), D("30.00"), None, D("90.00"), "", "Bien", "")
            ],
        )
    )
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    values = [v for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    assert "'=Bureau Plus" in values and 90 in values and "Méthode de notation" in values
