"""The tender spreadsheets: DQE, BPU, all lots, recap, commune annex and zip, read back with
openpyxl and python-calamine, and recalculated by a real spreadsheet engine (LibreOffice)."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import tracemalloc
import zipfile
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from groupement.tenders.annex_xlsx import commune_annex_workbook
from groupement.tenders.recap_xlsx import recap_workbook
from groupement.tenders.tender_data import (
    CommuneColumn,
    DqeTotals,
    TenderLine,
    TenderLot,
    dqe_line_total,
    dqe_totals,
    estimated_line_amount,
    estimated_lot_amount,
)
from groupement.tenders.tender_layout import (
    DQE_COLUMNS,
    ECO,
    FIRST_LINE_ROW,
    HEADER_ROW,
    LINE_KEY,
    LINE_TOTAL,
    UNIT_PRICE,
    dqe_total_rows,
)
from groupement.tenders.tender_package import tender_package, tender_zip
from groupement.tenders.tender_xlsx import all_lots_workbook, bpu_workbook, dqe_workbook

SOFFICE = shutil.which("soffice")
needs_soffice = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice absent : installez libreoffice-calc-nogui pour recalculer les classeurs avec un vrai tableur",
)


def lot_line(key: str, number: int, ref: str, designation: str, quantity: int, estimate: str, **other) -> TenderLine:
    """A lot line; unit, CPV and VAT rate (20 %) by default."""
    defaults = {"unit": "unité", "cpv": "30192000-1", "vat_rate": Decimal("20")}
    return TenderLine(
        key, number, ref, designation, quantity=quantity, estimated_unit_price=Decimal(estimate), **defaults | other
    )


LINES = (
    lot_line("L1-0001", 1, "INF-PC-01", "Ordinateur portable 14 pouces", 30, "849.1234", cpv="30213100-6"),
    lot_line(
        "L1-0002",
        2,
        "INF-ECR-02",
        "Écran 24 pouces & câble HDMI",
        7,
        "129.90",
        cpv="30231300-0",
        vat_rate=Decimal("5.5"),
    ),
    lot_line(
        "L1-0003", 3, "INF-CLE-03", '=HYPERLINK("http://pirate.example","Clé USB")', 12, "1.0050", unit="lot de 10"
    ),
)
LOT = TenderLot("lot-1", 1, "Matériel informatique", "CAPI : groupement informatique", "Recensement 2027", LINES)
LOT_2 = TenderLot(
    "lot-2",
    2,
    "Fournitures de bureau",
    "CAPI : groupement informatique",
    "Recensement 2027",
    (
        lot_line("L2-0001", 1, "FOU-RAM-01", "Ramette A4 80 g", 250, "3.1250", unit="ramette", cpv="30197630-1"),
        lot_line("L2-0002", 2, "FOU-STY-02", "@Stylo bille bleu", 40, "4.99", unit="boîte"),
    ),
)
BOURGOIN = CommuneColumn("38053", "Bourgoin-Jallieu", {"L1-0001": 20, "L1-0002": 7, "L1-0003": 2, "L2-0001": 250})
ISLE = CommuneColumn("38193", "L'Isle-d'Abeau", {"L1-0001": 10, "L1-0003": 10, "L2-0002": 40})
CRACHIER = CommuneColumn("38138", "Crachier", {})
COMMUNES = (BOURGOIN, ISLE, CRACHIER)
TODAY = date(2026, 11, 28)


def load(content: bytes, **options):
    return load_workbook(io.BytesIO(content), **options)


def save(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def column(title: str, columns=DQE_COLUMNS) -> str:
    return get_column_letter(columns.index(title) + 1)


def line_rows(sheet) -> dict[str, int]:
    """Row number of each line, found through the hidden line-id column."""
    key_column = column(LINE_KEY)
    return {
        sheet[f"{key_column}{row}"].value: row
        for row in range(FIRST_LINE_ROW, sheet.max_row + 1)
        if sheet[f"{key_column}{row}"].value
    }


def fill_prices(content: bytes, prices: Mapping[str, tuple[Decimal | None, Decimal | None]]) -> bytes:
    """The DQE as a bidder sends it back: prices typed in the yellow cells of every DQE sheet."""
    workbook = load(content)
    for sheet in workbook.worksheets:
        if not sheet.title.startswith("DQE"):
            continue
        for key, row in line_rows(sheet).items():
            if key in prices:
                unit_price, eco = prices[key]
                sheet[f"{column(UNIT_PRICE)}{row}"] = unit_price
                sheet[f"{column(ECO)}{row}"] = eco
    workbook.calculation.fullCalcOnLoad = True
    return save(workbook)


@pytest.fixture(scope="module")
def recalculate(tmp_path_factory):
    """Files -> the same files recalculated by LibreOffice, opened with openpyxl (cached values).

    One private LibreOffice profile per test module, so that concurrent runs never share one."""
    profile = tmp_path_factory.mktemp("soffice-profile")
    folder = tmp_path_factory.mktemp("recalcul")

    def run(files: Mapping[str, bytes]) -> dict[str, object]:
        source, target = folder / "source", folder / "recalcule"
        source.mkdir(exist_ok=True)
        paths = []
        for name, content in files.items():
            path = source / name
            path.write_bytes(content)
            (target / name).unlink(missing_ok=True)
            paths.append(str(path))
        command = [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore"]
        command += ["--convert-to", "xlsx", "--outdir", str(target), *paths]
        subprocess.run(command, check=True, capture_output=True, timeout=300)
        return {name: load_workbook(Path(target / name), data_only=True) for name in files}

    return run


def pages_wide(sheet) -> int:
    """The sheet's "fit to N pages wide"; an absent attribute is ECMA-376's default, 1 (XlsxWriter
    writes only what differs from it)."""
    value = sheet.page_setup.fitToWidth
    return 1 if value is None else value


def engine_amount(value) -> Decimal:
    """A figure found by the engine, as a Decimal; it must sit on the cent (float noise aside)."""
    assert isinstance(value, int | float), value
    amount = Decimal(repr(value))
    cents = amount.quantize(Decimal("0.01"))
    assert abs(amount - cents) < Decimal("0.000001"), f"{value} is not a cent amount"
    return cents


# --- DQE --------------------------------------------------------------------------------------


def test_the_dqe_starts_with_the_groupement_the_campaign_and_the_lot():
    sheet = load(dqe_workbook(LOT))["DQE lot 1"]
    block = [sheet.cell(row=row, column=1).value for row in range(1, HEADER_ROW)]
    assert block[0] == "Détail quantitatif estimatif (DQE)"
    assert "Groupement de commandes : CAPI : groupement informatique" in block
    assert "Campagne : Recensement 2027" in block
    assert "Lot n° 1 : Matériel informatique" in block
    assert [cell.value for cell in sheet[HEADER_ROW]] == list(DQE_COLUMNS)


def test_the_dqe_has_one_row_per_line_with_its_quantity_and_empty_prices():
    sheet = load(dqe_workbook(LOT))["DQE lot 1"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=FIRST_LINE_ROW, max_row=FIRST_LINE_ROW + 2)]
    assert [row[:2] for row in rows] == [[1, "INF-PC-01"], [2, "INF-ECR-02"], [3, "INF-CLE-03"]]
    assert [row[DQE_COLUMNS.index("Quantité estimée")] for row in rows] == [30, 7, 12]
    assert [row[DQE_COLUMNS.index(UNIT_PRICE)] for row in rows] == [None, None, None]
    assert [row[DQE_COLUMNS.index(ECO)] for row in rows] == [None, None, None]
    assert [row[DQE_COLUMNS.index("Code CPV")] for row in rows] == ["30213100-6", "30231300-0", "30192000-1"]


def test_the_dqe_never_shows_the_buyers_estimated_unit_prices():
    workbook = load(dqe_workbook(LOT))
    values = {cell.value for sheet in workbook for row in sheet.iter_rows() for cell in row}
    for line in LINES:
        assert line.estimated_unit_price not in values
        assert float(line.estimated_unit_price) not in values


def test_dqe_totals_are_formulas_with_the_eco_participation_inside_the_line_total():
    sheet = load(dqe_workbook(LOT))["DQE lot 1"]
    total = column(LINE_TOTAL)
    assert sheet[f"{total}{FIRST_LINE_ROW}"].value == "=ROUND(F8*(G8+H8),2)"
    ht_row, vat_row, ttc_row = dqe_total_rows(LOT)
    assert (ht_row, vat_row, ttc_row) == (11, 12, 13)
    assert sheet[f"A{ht_row}"].value == "Total HT"
    assert sheet[f"{total}{ht_row}"].value == "=SUM(I8:I10)"
    assert sheet[f"A{vat_row}"].value == "TVA"
    assert sheet[f"{total}{vat_row}"].value == "=ROUND(SUMPRODUCT(I8:I10,J8:J10)/100,2)"
    assert sheet[f"A{ttc_row}"].value == "Total TTC"
    assert sheet[f"{total}{ttc_row}"].value == "=I11+I12"
    assert sheet[f"{total}{ht_row}"].number_format == '#,##0.00\\ "€"'


def test_the_dqe_sheet_is_protected_except_the_highlighted_price_and_eco_cells():
    sheet = load(dqe_workbook(LOT))["DQE lot 1"]
    assert sheet.protection.sheet is True
    assert not sheet.protection.password
    for row in range(FIRST_LINE_ROW, FIRST_LINE_ROW + len(LINES)):
        for title in DQE_COLUMNS:
            cell = sheet[f"{column(title)}{row}"]
            if title in (UNIT_PRICE, ECO):
                assert cell.protection.locked is False
                assert cell.fill.fgColor.rgb.endswith("FFF4C2")
                assert cell.number_format == '#,##0.00##\\ "€"'
            else:
                assert cell.protection.locked is True, (title, row)
    ht_row, vat_row, ttc_row = dqe_total_rows(LOT)
    assert all(sheet[f"I{row}"].protection.locked for row in (ht_row, vat_row, ttc_row))
    assert sheet[f"{column(UNIT_PRICE)}{ht_row}"].protection.locked is True


def test_the_price_cells_only_accept_positive_amounts():
    sheet = load(dqe_workbook(LOT))["DQE lot 1"]
    (validation,) = sheet.data_validations.dataValidation
    assert validation.type == "decimal"
    assert validation.formula1 == "0"
    assert str(validation.sqref) == "G8:G10 H8:H10"


def test_the_line_id_is_in_a_hidden_column_for_the_re_import():
    sheet = load(dqe_workbook(LOT))["DQE lot 1"]
    key_column = column(LINE_KEY)
    assert sheet.column_dimensions[key_column].hidden is True
    assert sheet[f"{key_column}{HEADER_ROW}"].value == LINE_KEY
    assert list(line_rows(sheet)) == ["L1-0001", "L1-0002", "L1-0003"]
    assert not any(sheet.column_dimensions[column(title)].hidden for title in DQE_COLUMNS if title != LINE_KEY)


def test_the_dqe_prints_on_a4_landscape_fit_to_width_with_the_table_header_on_every_page():
    workbook = load(dqe_workbook(LOT))
    sheet = workbook["DQE lot 1"]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == 9
    assert pages_wide(sheet) == 1
    assert sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert sheet.freeze_panes == f"D{FIRST_LINE_ROW}"
    assert sheet.oddHeader.center.text == "Lot n° 1 : Matériel informatique"
    assert workbook.calculation.fullCalcOnLoad is True


def test_calamine_reads_the_texts_numbers_and_line_ids_of_the_dqe():
    rows = CalamineWorkbook.from_filelike(io.BytesIO(dqe_workbook(LOT))).get_sheet_by_name("DQE lot 1").to_python()
    header = rows[HEADER_ROW - 1]
    assert header[: len(DQE_COLUMNS)] == list(DQE_COLUMNS)
    first = rows[FIRST_LINE_ROW - 1]
    assert first[DQE_COLUMNS.index("Désignation")] == "Ordinateur portable 14 pouces"
    assert first[DQE_COLUMNS.index("Quantité estimée")] == 30
    assert first[DQE_COLUMNS.index("TVA (%)")] == 20
    assert [row[DQE_COLUMNS.index(LINE_KEY)] for row in rows[FIRST_LINE_ROW - 1 : FIRST_LINE_ROW + 2]] == [
        "L1-0001",
        "L1-0002",
        "L1-0003",
    ]


@pytest.mark.parametrize("dangerous", ["=1+1", "@SUM(A1)", "+33 4 74 00 00 00", "-rouge"])
def test_a_text_that_a_spreadsheet_would_run_is_written_as_plain_text(dangerous):
    lot = TenderLot(
        "lot-9", 9, dangerous, dangerous, dangerous, (lot_line("L9-0001", 1, dangerous, dangerous, 1, "1"),)
    )
    for content in (dqe_workbook(lot), bpu_workbook(lot), all_lots_workbook([lot])):
        workbook = load(content)
        cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.value is not None]
        for cell in cells:
            if isinstance(cell.value, str) and dangerous in cell.value:
                assert cell.data_type == "s"
                assert not cell.value.startswith(("=", "@", "+", "-"))
        designation = workbook[workbook.sheetnames[-1]][f"C{FIRST_LINE_ROW}"]
        assert designation.value == "'" + dangerous
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_name(workbook.sheetnames[-1])
        assert sheet.to_python()[FIRST_LINE_ROW - 1][2] == "'" + dangerous


def test_the_designation_starting_with_an_equal_sign_of_the_sample_lot_is_escaped():
    sheet = load(dqe_workbook(LOT))["DQE lot 1"]
    designation = sheet[f"C{FIRST_LINE_ROW + 2}"]
    assert designation.data_type == "s"
    assert designation.value == "'" + LINES[2].designation


def test_an_empty_lot_or_a_lot_with_twice_the_same_line_id_is_refused():
    with pytest.raises(ValueError, match="aucune ligne"):
        dqe_workbook(TenderLot("vide", 4, "Vide", "G", "C", ()))
    with pytest.raises(ValueError, match="même identifiant"):
        dqe_workbook(TenderLot("double", 5, "Double", "G", "C", (LINES[0], LINES[0])))


def test_the_dqe_totals_in_decimal_follow_the_formulas():
    prices = {"L1-0001": (Decimal("799.9999"), Decimal("1.0000")), "L1-0002": (Decimal("119.5"), Decimal("0"))}
    # 30 × 800.9999 = 24 029.997 -> 24 030.00 ; 7 × 119.50 = 836.50 ; line 3 not priced: 0
    assert dqe_line_total(30, Decimal("799.9999"), Decimal("1")) == Decimal("24030.00")
    totals = dqe_totals(LINES, prices)
    assert totals.ht == Decimal("24866.50")
    # 24 030.00 × 20 % + 836.50 × 5.5 % = 4 806.00 + 46.0075 = 4 852.0075 -> 4 852.01 (rounded once)
    assert totals.vat == Decimal("4852.01")
    assert totals.ttc == Decimal("29718.51")


# --- BPU --------------------------------------------------------------------------------------


def test_the_bpu_has_the_same_lines_without_quantities_nor_totals():
    workbook = load(bpu_workbook(LOT))
    assert workbook.sheetnames == ["BPU lot 1"]
    sheet = workbook["BPU lot 1"]
    header = [cell.value for cell in sheet[HEADER_ROW]]
    assert "Quantité estimée" not in header and LINE_TOTAL not in header
    assert sheet["A1"].value == "Bordereau des prix unitaires (BPU)"
    rows = list(sheet.iter_rows(min_row=FIRST_LINE_ROW, values_only=True))
    assert [row[1] for row in rows] == ["INF-PC-01", "INF-ECR-02", "INF-CLE-03"]
    assert not any(isinstance(value, str) and value.startswith("=") for row in rows for value in row)
    assert sheet.max_row == FIRST_LINE_ROW + len(LINES) - 1


def test_the_bpu_unlocks_only_its_price_and_eco_cells_and_hides_the_line_id():
    sheet = load(bpu_workbook(LOT))["BPU lot 1"]
    header = [cell.value for cell in sheet[HEADER_ROW]]
    assert sheet.protection.sheet is True
    unlocked = {
        header[cell.column - 1]
        for row in sheet.iter_rows(min_row=1, max_row=sheet.max_row)
        for cell in row
        if cell.protection.locked is False
    }
    assert unlocked == {UNIT_PRICE, ECO}
    key_letter = get_column_letter(header.index(LINE_KEY) + 1)
    assert sheet.column_dimensions[key_letter].hidden is True
    assert [sheet[f"{key_letter}{row}"].value for row in range(FIRST_LINE_ROW, FIRST_LINE_ROW + 3)] == [
        "L1-0001",
        "L1-0002",
        "L1-0003",
    ]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"


# --- every lot in one workbook ----------------------------------------------------------------


def test_the_all_lots_workbook_has_a_summary_then_one_dqe_sheet_per_lot():
    workbook = load(all_lots_workbook([LOT, LOT_2]))
    assert workbook.sheetnames == ["Synthèse", "DQE lot 1", "DQE lot 2"]
    summary = workbook["Synthèse"]
    header = [cell.value for cell in summary[HEADER_ROW]]
    assert header == [
        "N° du lot",
        "Intitulé du lot",
        "Nombre de lignes",
        "Montant estimé HT (acheteur)",
        "Total HT du DQE",
        "TVA",
        "Total TTC",
    ]
    first, second, totals = (list(row) for row in summary.iter_rows(min_row=FIRST_LINE_ROW, values_only=True))
    assert first[:3] == [1, "Matériel informatique", 3]
    # 30 × 849.1234 = 25 473.702 -> 25 473.70 ; 7 × 129.90 = 909.30 ; 12 × 1.005 = 12.06
    assert Decimal(str(first[3])) == estimated_lot_amount(LOT) == Decimal("26395.06")
    assert first[4:] == ["='DQE lot 1'!I11", "='DQE lot 1'!I12", "='DQE lot 1'!I13"]
    assert second[4:] == ["='DQE lot 2'!I10", "='DQE lot 2'!I11", "='DQE lot 2'!I12"]
    assert totals[0] == "Total"
    assert totals[2:] == ["=SUM(C8:C9)", "=SUM(D8:D9)", "=SUM(E8:E9)", "=SUM(F8:F9)", "=SUM(G8:G9)"]
    assert summary.protection.sheet is True
    for title in ("DQE lot 1", "DQE lot 2"):
        assert workbook[title].protection.sheet is True
        assert workbook[title].print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"


def test_the_all_lots_workbook_for_bidders_leaves_the_estimate_out():
    workbook = load(all_lots_workbook([LOT, LOT_2], with_estimate=False))
    header = [cell.value for cell in workbook["Synthèse"][HEADER_ROW]]
    assert "Montant estimé HT (acheteur)" not in header
    values = {cell.value for sheet in workbook for row in sheet.iter_rows() for cell in row}
    assert float(estimated_lot_amount(LOT)) not in values


def test_two_lots_with_the_same_number_cannot_share_a_workbook():
    with pytest.raises(ValueError, match="même numéro"):
        all_lots_workbook([LOT, LOT])
    with pytest.raises(ValueError, match="aucun lot"):
        all_lots_workbook([])


# --- recap ------------------------------------------------------------------------------------


def test_the_recap_has_a_column_per_commune_and_totals_both_ways():
    sheet = load(recap_workbook(LOT, COMMUNES))["Récapitulatif lot 1"]
    header = [cell.value for cell in sheet[HEADER_ROW]]
    assert header == [
        "N°",
        "Référence",
        "Désignation",
        "Unité",
        "Bourgoin-Jallieu (38053)",
        "L'Isle-d'Abeau (38193)",
        "Crachier (38138)",
        "Total des communes",
        "Quantité du lot",
    ]
    rows = [list(row) for row in sheet.iter_rows(min_row=FIRST_LINE_ROW, values_only=True)]
    assert [row[4:7] for row in rows[:3]] == [[20, 10, None], [7, None, None], [2, 10, None]]
    assert [row[7] for row in rows[:3]] == ["=SUM(E8:G8)", "=SUM(E9:G9)", "=SUM(E10:G10)"]
    assert [row[8] for row in rows[:3]] == [30, 7, 12]
    assert rows[3][0] == "Total"
    assert rows[3][4:] == ["=SUM(E8:E10)", "=SUM(F8:F10)", "=SUM(G8:G10)", "=SUM(H8:H10)", "=SUM(I8:I10)"]
    assert sheet.freeze_panes == f"E{FIRST_LINE_ROW}"
    assert sheet.protection.sheet is True
    assert sheet.page_setup.orientation == "landscape"
    # A zero is no cell at all (not a styled blank): gridlines are printed instead of borders.
    stored = zipfile.ZipFile(io.BytesIO(recap_workbook(LOT, COMMUNES))).read("xl/worksheets/sheet1.xml")
    assert f'r="F{FIRST_LINE_ROW}"'.encode() in stored and f'r="G{FIRST_LINE_ROW}"'.encode() not in stored
    assert sheet.print_options.gridLines is True


def test_calamine_reads_the_recap_quantities():
    rows = CalamineWorkbook.from_filelike(io.BytesIO(recap_workbook(LOT, COMMUNES))).get_sheet_by_index(0).to_python()
    assert rows[FIRST_LINE_ROW - 1][4:7] == [20, 10, ""]
    assert rows[FIRST_LINE_ROW - 1][8] == 30


def test_a_recap_whose_communes_do_not_add_up_to_the_lot_quantity_is_refused():
    short = CommuneColumn("38053", "Bourgoin-Jallieu", {"L1-0001": 19, "L1-0002": 7, "L1-0003": 2})
    with pytest.raises(ValueError, match=r"ligne n° 1 \(INF-PC-01\) : les communes totalisent 29, la ligne porte 30"):
        recap_workbook(LOT, [short, ISLE])


def test_a_negative_or_non_integer_quantity_is_refused():
    with pytest.raises(ValueError, match="quantité invalide"):
        recap_workbook(LOT, [CommuneColumn("38053", "B", {"L1-0001": -1})])
    with pytest.raises(ValueError, match="quantité invalide"):
        commune_annex_workbook(CommuneColumn("38053", "B", {"L1-0001": 1.5}), [LOT])


def test_a_recap_of_many_communes_prints_over_several_pages_with_the_line_columns_repeated():
    keys = [line.line_key for line in LINES]
    communes = [CommuneColumn(f"38{index:03d}", f"Commune {index}", {}) for index in range(60)]
    communes[0] = CommuneColumn(
        "38000", "Commune 0", {key: line.quantity for key, line in zip(keys, LINES, strict=True)}
    )
    sheet = load(recap_workbook(LOT, communes)).worksheets[0]
    assert pages_wide(sheet) == 3
    assert sheet.print_title_cols == "$A:$D"


class LazyQuantities(Mapping):
    """A commune's quantities computed on demand, so that the input costs no memory."""

    def __init__(self, seed: int, keys: list[str]):
        self.seed, self.keys = seed, keys

    def __getitem__(self, key: str) -> int:
        return (self.seed * 7 + int(key.rsplit("-", 1)[1])) % 4

    def __iter__(self):
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)


def recap_peak_memory(line_count: int, commune_count: int) -> int:
    keys = [f"L-{index:05d}" for index in range(line_count)]
    communes = [CommuneColumn(f"{38000 + n}", f"Commune {n}", LazyQuantities(n, keys)) for n in range(commune_count)]
    lines = tuple(
        lot_line(
            key, index + 1, f"R{index}", f"Article {index}", sum(commune.quantities[key] for commune in communes), "1.5"
        )
        for index, key in enumerate(keys)
    )
    lot = TenderLot("gros", 1, "Gros lot", "G", "C", lines)
    tracemalloc.start()
    try:
        recap_workbook(lot, communes)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_recap_is_streamed_so_memory_does_not_grow_with_the_rows():
    small = recap_peak_memory(80, 50)
    large = recap_peak_memory(320, 50)  # 16 000 cells: a workbook held in memory takes several Mo
    assert large < small + 500_000
    assert large < 2_000_000


# --- commune annex ----------------------------------------------------------------------------


def annex_rows(content: bytes) -> list[list]:
    sheet = load(content)["Annexe"]
    return [list(row) for row in sheet.iter_rows(min_row=FIRST_LINE_ROW, values_only=True)]


def test_the_annex_says_the_commune_the_groupement_the_campaign_and_the_date_in_french():
    sheet = load(commune_annex_workbook(BOURGOIN, [LOT, LOT_2], edited_on=TODAY))["Annexe"]
    block = [sheet.cell(row=row, column=1).value for row in range(1, HEADER_ROW)]
    assert "Commune : Bourgoin-Jallieu (code INSEE 38053)" in block
    assert "Groupement de commandes : CAPI : groupement informatique" in block
    assert "Campagne : Recensement 2027" in block
    assert block[4].startswith("Document édité le 28/11/2026.")
    assert [cell.value for cell in sheet[HEADER_ROW]] == [
        "N°",
        "Référence",
        "Désignation",
        "Unité",
        "Quantité",
        "Prix unitaire HT estimé",
        "Montant estimé HT",
    ]


def test_the_annex_lists_the_communes_lines_per_lot_with_subtotals_and_a_grand_total():
    rows = annex_rows(commune_annex_workbook(ISLE, [LOT, LOT_2], edited_on=TODAY))
    assert rows[0][0] == "Lot n° 1 : Matériel informatique"
    assert rows[1] == [1, "INF-PC-01", "Ordinateur portable 14 pouces", "unité", 10, 849.1234, "=ROUND(E9*F9,2)"]
    assert rows[2][:6] == [3, "INF-CLE-03", "'" + LINES[2].designation, "lot de 10", 10, 1.005]
    assert rows[3][0] == "Sous-total lot n° 1" and rows[3][6] == "=SUM(G9:G10)"
    assert rows[4][0] == "Lot n° 2 : Fournitures de bureau"
    assert rows[5][:5] == [2, "FOU-STY-02", "'@Stylo bille bleu", "boîte", 40]
    assert rows[6][0] == "Sous-total lot n° 2" and rows[6][6] == "=SUM(G13:G13)"
    assert rows[8][0] == "Total général estimé HT" and rows[8][6] == "=SUM(G11,G14)"
    assert "INF-ECR-02" not in {row[1] for row in rows}  # a line it did not ask for


def test_a_lot_the_commune_asked_nothing_of_says_so_with_a_zero_subtotal():
    rows = annex_rows(commune_annex_workbook(CRACHIER, [LOT], edited_on=TODAY))
    assert rows[1][2] == "Aucun besoin de la commune sur ce lot."
    assert rows[2][0] == "Sous-total lot n° 1" and rows[2][6] == 0


def test_the_annex_is_protected_and_ready_to_print():
    sheet = load(commune_annex_workbook(BOURGOIN, [LOT], edited_on=TODAY))["Annexe"]
    assert sheet.protection.sheet is True
    assert sheet.page_setup.orientation == "landscape"
    assert pages_wide(sheet) == 1
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"


def test_an_annex_without_lots_is_refused():
    with pytest.raises(ValueError, match="aucun lot"):
        commune_annex_workbook(BOURGOIN, [], edited_on=TODAY)


# --- zip --------------------------------------------------------------------------------------


def test_the_zip_holds_the_files_in_name_order_with_fixed_dates_and_the_same_bytes_each_time():
    files = {"lot-01/dqe.xlsx": b"dqe", "annexe-crachier.xlsx": b"annexe", "dqe-tous-les-lots.xlsx": b"tous"}
    content = tender_zip(files)
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.namelist() == ["annexe-crachier.xlsx", "dqe-tous-les-lots.xlsx", "lot-01/dqe.xlsx"]
    assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert archive.read("lot-01/dqe.xlsx") == b"dqe"
    assert tender_zip(dict(reversed(files.items()))) == content


@pytest.mark.parametrize("name", ["../evil.xlsx", "/etc/passwd", "a\\b.xlsx", "", "lot//x.xlsx"])
def test_a_zip_entry_name_that_could_escape_the_folder_is_refused(name):
    with pytest.raises(ValueError, match="nom de fichier invalide"):
        tender_zip({name: b"x"})


def test_the_tender_package_holds_every_spreadsheet_of_the_tender_file():
    content = tender_package([LOT, LOT_2], COMMUNES, edited_on=TODAY)
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.namelist() == [
        "dqe-tous-les-lots.xlsx",
        "lot-01/dqe-lot-01.xlsx",
        "lot-01/bpu-lot-01.xlsx",
        "lot-01/recapitulatif-lot-01.xlsx",
        "lot-02/dqe-lot-02.xlsx",
        "lot-02/bpu-lot-02.xlsx",
        "lot-02/recapitulatif-lot-02.xlsx",
        "annexes-communes/annexe-38053-bourgoin-jallieu.xlsx",
        "annexes-communes/annexe-38193-l-isle-d-abeau.xlsx",
        "annexes-communes/annexe-38138-crachier.xlsx",
    ]
    assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    annex = load(archive.read("annexes-communes/annexe-38138-crachier.xlsx"))
    assert annex["Annexe"]["A2"].value == "Commune : Crachier (code INSEE 38138)"
    assert load(archive.read("lot-02/bpu-lot-02.xlsx")).sheetnames == ["BPU lot 2"]


# --- recalculated by a real spreadsheet engine ------------------------------------------------


def random_lot(seed: int, number: int, line_count: int) -> TenderLot:
    rng = random.Random(seed)
    lines = tuple(
        lot_line(
            f"L{number}-{index:04d}",
            index,
            f"REF-{number}-{index}",
            f"Article {index}",
            quantity=rng.choice([0, 1, 3, 7, 12, rng.randint(1, 5000)]),
            estimate=str(Decimal(rng.randint(1, 20_000_000)) / 10_000),
            vat_rate=Decimal(rng.choice(["20", "10", "5.5", "2.1"])),
        )
        for index in range(1, line_count + 1)
    )
    return TenderLot(f"lot-{number}", number, f"Lot aléatoire {number}", "G", "C", lines)


def random_prices(seed: int, lot: TenderLot) -> dict[str, tuple[Decimal | None, Decimal | None]]:
    """4-decimal prices, some eco-participations, a few lines left unpriced, and half-cent cases."""
    rng = random.Random(seed)
    prices = {}
    for line in lot.lines:
        if rng.random() < 0.1:
            continue
        unit_price = Decimal(rng.choice([rng.randint(1, 30_000_000), 10_050, 50, 15, 12_345])) / 10_000
        eco = rng.choice([None, Decimal("0"), Decimal("0.05"), Decimal("1.25"), Decimal("6.0000")])
        prices[line.line_key] = (unit_price, eco)
    return prices


def decimal_prices(prices):
    return {key: (unit or Decimal(0), eco or Decimal(0)) for key, (unit, eco) in prices.items()}


def dqe_figures(sheet, lot: TenderLot) -> tuple[list[Decimal], Decimal, Decimal, Decimal]:
    total = column(LINE_TOTAL)
    lines = [
        engine_amount(sheet[f"{total}{row}"].value) for row in range(FIRST_LINE_ROW, FIRST_LINE_ROW + len(lot.lines))
    ]
    ht, vat, ttc = (engine_amount(sheet[f"{total}{row}"].value) for row in dqe_total_rows(lot))
    return lines, ht, vat, ttc


@needs_soffice
def test_a_priced_dqe_recalculated_by_libreoffice_gives_the_applications_totals_to_the_cent(recalculate):
    lot = random_lot(2027, 7, 80)
    prices = random_prices(7, lot)
    # HT 1 × 1.00 + 3 × 1.005 (3.015 -> 3.02) + 7 × 0.0043 (0.0301 -> 0.03) = 4.05;
    # VAT 1.00 × 5.5 % + 3.02 × 20 % + 0.03 × 20 % = 0.055 + 0.604 + 0.006 = 0.665 -> 0.67 (half up, once)
    half_cents = TenderLot(
        "demi",
        8,
        "Demi-centimes",
        "G",
        "C",
        (
            lot_line("D-1", 1, "R1", "A", 1, "1", vat_rate=Decimal("5.5")),
            lot_line("D-2", 2, "R2", "B", 3, "1"),
            lot_line("D-3", 3, "R3", "C", 7, "1"),
        ),
    )
    half_prices = {"D-1": (Decimal("1.00"), None), "D-2": (Decimal("1.0050"), None), "D-3": (Decimal("0.0043"), None)}
    books = recalculate(
        {
            "dqe.xlsx": fill_prices(dqe_workbook(lot), prices),
            "demi.xlsx": fill_prices(dqe_workbook(half_cents), half_prices),
        }
    )
    for name, current_lot, current_prices in (("dqe.xlsx", lot, prices), ("demi.xlsx", half_cents, half_prices)):
        sheet = books[name][f"DQE lot {current_lot.number}"]
        lines, ht, vat, ttc = dqe_figures(sheet, current_lot)
        exact = decimal_prices(current_prices)
        expected_lines = [
            dqe_line_total(line.quantity, *exact.get(line.line_key, (Decimal(0), Decimal(0))))
            for line in current_lot.lines
        ]
        assert lines == expected_lines
        expected = dqe_totals(current_lot.lines, exact)
        assert (ht, vat, ttc) == (expected.ht, expected.vat, expected.ttc)
    assert dqe_totals(half_cents.lines, decimal_prices(half_prices)) == DqeTotals(
        Decimal("4.05"), Decimal("0.67"), Decimal("4.72")
    )


@needs_soffice
def test_the_all_lots_summary_recalculated_by_libreoffice_adds_up_each_lots_dqe(recalculate):
    lots = [random_lot(11, 4, 25), random_lot(12, 5, 40), LOT]
    prices = random_prices(1, lots[0]) | random_prices(2, lots[1]) | random_prices(3, LOT)
    workbook = recalculate({"tous.xlsx": fill_prices(all_lots_workbook(lots), prices)})["tous.xlsx"]
    summary = workbook["Synthèse"]
    exact = decimal_prices(prices)
    expected_totals = [dqe_totals(lot.lines, exact) for lot in lots]
    for row, lot, expected in zip(range(FIRST_LINE_ROW, FIRST_LINE_ROW + 3), lots, expected_totals, strict=True):
        assert engine_amount(summary[f"D{row}"].value) == estimated_lot_amount(lot)
        found = [engine_amount(summary[f"{letter}{row}"].value) for letter in "EFG"]
        assert found == [expected.ht, expected.vat, expected.ttc]
        assert dqe_figures(workbook[f"DQE lot {lot.number}"], lot)[1:] == (expected.ht, expected.vat, expected.ttc)
    total_row = FIRST_LINE_ROW + 3
    assert summary[f"C{total_row}"].value == sum(len(lot.lines) for lot in lots)
    assert engine_amount(summary[f"D{total_row}"].value) == sum(estimated_lot_amount(lot) for lot in lots)
    assert engine_amount(summary[f"E{total_row}"].value) == sum(total.ht for total in expected_totals)
    assert engine_amount(summary[f"G{total_row}"].value) == sum(total.ttc for total in expected_totals)


def random_communes(lot: TenderLot, count: int, seed: int) -> list[CommuneColumn]:
    """Each line's quantity spread over the communes at random (some get nothing)."""
    rng = random.Random(seed)
    shares: list[dict[str, int]] = [{} for _ in range(count)]
    for line in lot.lines:
        cuts = sorted(rng.randint(0, line.quantity) for _ in range(count - 1))
        parts = [end - start for start, end in zip([0, *cuts], [*cuts, line.quantity], strict=True)]
        for index, part in enumerate(parts):
            if part:
                shares[index][line.line_key] = part
    return [CommuneColumn(f"38{index:03d}", f"Commune {index}", shares[index]) for index in range(count)]


@needs_soffice
def test_the_recap_recalculated_by_libreoffice_finds_the_lot_quantities_and_the_commune_totals(recalculate):
    lot = random_lot(5, 3, 30)
    communes = random_communes(lot, 22, seed=9)
    sheet = recalculate({"recap.xlsx": recap_workbook(lot, communes)})["recap.xlsx"].worksheets[0]
    total_column, lot_column = 4 + len(communes) + 1, 4 + len(communes) + 2
    for row, line in enumerate(lot.lines, start=FIRST_LINE_ROW):
        assert sheet.cell(row=row, column=total_column).value == line.quantity
        assert sheet.cell(row=row, column=lot_column).value == line.quantity
    totals_row = FIRST_LINE_ROW + len(lot.lines)
    for index, commune in enumerate(communes):
        expected = sum(commune.quantities.get(line.line_key, 0) for line in lot.lines)
        assert sheet.cell(row=totals_row, column=5 + index).value == expected
    grand_total = sum(line.quantity for line in lot.lines)
    assert sheet.cell(row=totals_row, column=total_column).value == grand_total
    assert sheet.cell(row=totals_row, column=lot_column).value == grand_total


@needs_soffice
def test_the_annex_recalculated_by_libreoffice_gives_the_applications_estimated_amounts(recalculate):
    lots = [random_lot(21, 1, 30), random_lot(22, 3, 15), LOT_2]
    commune = random_communes(lots[0], 3, seed=1)[0]
    commune = CommuneColumn(commune.insee, commune.name, dict(commune.quantities) | {"L3-0003": 5, "L3-0011": 17})
    sheet = recalculate({"annexe.xlsx": commune_annex_workbook(commune, lots, edited_on=TODAY)})["annexe.xlsx"][
        "Annexe"
    ]
    by_label = {}
    found_lines = {}
    for row in sheet.iter_rows(min_row=FIRST_LINE_ROW, values_only=True):
        if isinstance(row[0], str) and row[6] is not None:
            by_label[row[0]] = engine_amount(row[6])
        elif isinstance(row[0], int):
            found_lines[row[1]] = engine_amount(row[6])
    expected_subtotals = {}
    for lot in lots:
        amounts = {
            line.ref: estimated_line_amount(commune.quantities[line.line_key], line.estimated_unit_price)
            for line in lot.lines
            if commune.quantities.get(line.line_key)
        }
        for ref, amount in amounts.items():
            assert found_lines[ref] == amount
        expected_subtotals[f"Sous-total lot n° {lot.number}"] = sum(amounts.values(), Decimal(0))
    assert expected_subtotals["Sous-total lot n° 2"] == Decimal(0)  # LOT_2: the commune asked for none of its lines
    assert expected_subtotals["Sous-total lot n° 3"] > 0
    assert {label: by_label[label] for label in expected_subtotals} == expected_subtotals
    assert by_label["Total général estimé HT"] == sum(expected_subtotals.values())
