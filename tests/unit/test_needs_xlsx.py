"""The needs workbook: written for a commune, filled in offline, read back with every problem named."""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook

from groupement.campaigns.needs_sheet import COLUMNS, MAX_DATA_ROWS, SHEET_TITLE, NeedsSheetRow
from groupement.campaigns.needs_xlsx_reader import read_needs_rows, read_needs_workbook
from groupement.campaigns.needs_xlsx_writer import write_needs_workbook
from groupement.campaigns.rules import NeedValue
from groupement.core.files.upload_guard import NEEDS_XLSX
from groupement.core.formatting import number

FILE = "besoins-crachier.xlsx"
ROWS = [
    NeedsSheetRow(
        "INF-PC-01", "Ordinateur portable 14 pouces", "Informatique", "unité", Decimal("849.00"), 4, 3, "Pour l'annexe"
    ),
    NeedsSheetRow("INF-ECR-02", "Écran 24 pouces", "Informatique", "unité", Decimal("129.90"), None, 0, ""),
    NeedsSheetRow("FOU-RAM-01", "Ramette A4 80 g", "Fournitures de bureau", "ramette", Decimal("3.1250"), 200, 250, ""),
]


def workbook_bytes(rows=ROWS, instructions="Quantités pour 2027.") -> bytes:
    return write_needs_workbook(
        "Recensement 2027", "Crachier", "28/11/2026 à 23:59 (heure de Paris)", instructions, rows
    )


def load(content: bytes):
    return load_workbook(io.BytesIO(content))


def header_row(sheet) -> int:
    return next(row[0].row for row in sheet.iter_rows() if row[0].value == "Référence")


def column_of(sheet, title: str) -> int:
    return [cell.value for cell in sheet[header_row(sheet)]].index(title) + 1


def edited(content: bytes, changes: dict[tuple[int, str], object]) -> bytes:
    """The workbook with cells changed as a person (or a mischievous one) would: keyed by
    (data row index from 0, column title)."""
    workbook = load(content)
    sheet = workbook[SHEET_TITLE]
    first = header_row(sheet) + 1
    for (index, title), value in changes.items():
        sheet.cell(row=first + index, column=column_of(sheet, title)).value = value  # None empties the cell
    return save(workbook)


def save(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def reasons(issues) -> list[str]:
    return [issue.reason for issue in issues]


# --- round trip -----------------------------------------------------------------------------


def test_a_workbook_read_back_unchanged_gives_the_quantities_and_comments_written():
    values, issues = read_needs_workbook(workbook_bytes(), FILE)
    assert issues == []
    assert values == {
        "INF-PC-01": NeedValue(3, "Pour l'annexe"),
        "INF-ECR-02": NeedValue(0, ""),
        "FOU-RAM-01": NeedValue(250, ""),
    }


def test_quantities_and_comments_typed_offline_are_read_with_their_real_excel_row_numbers():
    content = edited(
        workbook_bytes(), {(1, "Quantité"): 12, (1, "Commentaire"): "  salle du conseil ", (0, "Quantité"): None}
    )
    rows, issues = read_needs_rows(content, FILE)
    assert issues == []
    sheet = load(content)[SHEET_TITLE]
    first = header_row(sheet) + 1
    assert [(r.row, r.ref, r.value) for r in rows] == [
        (first, "INF-PC-01", NeedValue(0, "Pour l'annexe")),
        (first + 1, "INF-ECR-02", NeedValue(12, "salle du conseil")),
        (first + 2, "FOU-RAM-01", NeedValue(250, "")),
    ]


def test_a_quantity_typed_as_text_or_as_a_whole_decimal_is_accepted():
    content = edited(workbook_bytes(), {(0, "Quantité"): "1 200", (1, "Quantité"): 7.0})
    values, issues = read_needs_workbook(content, FILE)
    assert issues == []
    assert values["INF-PC-01"].quantity == 1200 and values["INF-ECR-02"].quantity == 7


def test_another_reader_calamine_sees_the_same_refs_prices_and_quantities():
    content = workbook_bytes()
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_name(SHEET_TITLE).to_python()
    header = next(i for i, row in enumerate(sheet) if row[0] == "Référence")
    assert tuple(sheet[header]) == COLUMNS
    data = [row for row in sheet[header + 1 :] if row[0]]
    seen = [(row[0], Decimal(str(row[4])), row[5] or None, row[6] or 0, row[7]) for row in data]
    assert seen == [(r.ref, r.unit_price, r.previous_quantity, r.quantity, r.comment) for r in ROWS]
    assert any("Crachier" in str(row[0]) for row in sheet[:header])


def test_an_empty_grid_still_gives_a_readable_workbook_that_reports_no_line():
    values, issues = read_needs_workbook(workbook_bytes(rows=[]), FILE)
    assert values == {}
    assert reasons(issues) == ["aucune ligne de besoin sous l'en-tête du tableau"]


# --- what the workbook looks like -----------------------------------------------------------


def test_the_sheet_is_protected_except_the_quantity_and_comment_cells():
    sheet = load(workbook_bytes())[SHEET_TITLE]
    assert sheet.protection.sheet is True
    first = header_row(sheet) + 1
    for title in COLUMNS:
        cell = sheet.cell(row=first, column=column_of(sheet, title))
        assert cell.protection.locked is (title not in ("Quantité", "Commentaire")), title
    assert sheet.cell(row=header_row(sheet), column=1).protection.locked is True
    quantity = sheet.cell(row=first, column=column_of(sheet, "Quantité"))
    assert quantity.fill.fgColor.rgb.endswith("FFF4C2")  # the editable cells stand out


def test_quantities_carry_a_whole_number_validation_from_0_to_1_000_000():
    sheet = load(workbook_bytes())[SHEET_TITLE]
    first = header_row(sheet) + 1
    quantity_letter = sheet.cell(row=first, column=column_of(sheet, "Quantité")).column_letter
    validation = next(v for v in sheet.data_validations.dataValidation if v.type == "whole")
    assert (validation.operator, validation.formula1, validation.formula2) == ("between", "0", "1000000")
    assert validation.showErrorMessage and "nombre entier" in validation.error
    assert str(validation.sqref) == f"{quantity_letter}{first}:{quantity_letter}{first + len(ROWS) - 1}"


def test_the_header_block_gives_the_campaign_the_commune_the_deadline_and_how_to_fill_it_in():
    sheet = load(workbook_bytes())[SHEET_TITLE]
    block = " ".join(str(sheet.cell(row=r, column=1).value) for r in range(1, header_row(sheet)))
    for expected in ("Recensement 2027", "Crachier", "28/11/2026 à 23:59", "Mode d'emploi", "Quantités pour 2027."):
        assert expected in block


def test_amounts_are_formulas_and_numbers_have_french_formats_frozen_panes_and_landscape_printing():
    sheet = load(workbook_bytes())[SHEET_TITLE]
    first = header_row(sheet) + 1
    amount = sheet.cell(row=first, column=column_of(sheet, "Montant estimé HT"))
    assert amount.value == f"=E{first}*G{first}"
    assert "€" in amount.number_format
    price = sheet.cell(row=first, column=column_of(sheet, "Prix unitaire HT estimé"))
    assert price.value == 849 and "€" in price.number_format
    assert sheet.freeze_panes == f"C{first}"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == f"${header_row(sheet)}:${header_row(sheet)}"


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_escaped_and_read_back_as_typed():
    rows = [NeedsSheetRow("INF-1", '=HYPERLINK("http://x")', "Informatique", "unité", Decimal("1"), None, 2, "-urgent")]
    content = workbook_bytes(rows=rows, instructions="=cmd|' /C calc'!A0")
    sheet = load(content)[SHEET_TITLE]
    first = header_row(sheet) + 1
    designation = sheet.cell(row=first, column=column_of(sheet, "Désignation"))
    assert designation.data_type == "s" and designation.value == '\'=HYPERLINK("http://x")'
    assert sheet.cell(row=first, column=column_of(sheet, "Commentaire")).value == "'-urgent"
    assert not any(cell.data_type == "f" for row in sheet.iter_rows(max_row=header_row(sheet) - 2) for cell in row)
    values, issues = read_needs_workbook(content, FILE)
    assert issues == [] and values == {"INF-1": NeedValue(2, "-urgent")}


# --- bad values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        (-3, "quantité négative (-3)"),
        (2.5, "« 2,5 » n'est pas un nombre entier"),
        ("12,5", "« 12,5 » n'est pas un nombre entier"),
        ("beaucoup", "« beaucoup » n'est pas un nombre entier"),
        (1_000_001, "quantité invraisemblable (1000001 > 1 000 000)"),
    ],
)
def test_a_bad_quantity_names_the_file_the_row_and_the_column(typed, reason):
    content = edited(workbook_bytes(), {(1, "Quantité"): typed})
    values, issues = read_needs_workbook(content, FILE)
    row = header_row(load(content)[SHEET_TITLE]) + 2
    assert [(i.file, i.row, i.column, i.reason) for i in issues] == [(FILE, row, "Quantité", reason)]


def test_every_bad_row_is_reported_not_only_the_first():
    content = edited(workbook_bytes(), {(0, "Quantité"): -1, (2, "Quantité"): "x", (1, "Commentaire"): "a" * 501})
    _, issues = read_needs_workbook(content, FILE)
    first = header_row(load(content)[SHEET_TITLE]) + 1
    assert [(i.row, i.column) for i in issues] == [
        (first, "Quantité"),
        (first + 1, "Commentaire"),
        (first + 2, "Quantité"),
    ]
    assert "commentaire trop long (501 caractères" in issues[1].reason


def test_a_formula_in_a_quantity_cell_is_refused():
    content = edited(workbook_bytes(), {(0, "Quantité"): "=2*6"})
    _, issues = read_needs_workbook(content, FILE)
    assert [(i.column, i.reason) for i in issues] == [
        ("Quantité", "formule interdite : saisissez directement la valeur")
    ]
    assert issues[0].row == header_row(load(content)[SHEET_TITLE]) + 1


def test_a_formula_in_a_comment_is_refused_but_a_text_starting_with_an_equals_sign_is_kept():
    content = edited(workbook_bytes(), {(0, "Commentaire"): "=A1&B1"})
    _, issues = read_needs_workbook(content, FILE)
    assert [(i.column, i.reason) for i in issues] == [
        ("Commentaire", "formule interdite : saisissez directement la valeur")
    ]
    workbook = load(workbook_bytes())
    sheet = workbook[SHEET_TITLE]
    cell = sheet.cell(row=header_row(sheet) + 1, column=column_of(sheet, "Commentaire"))
    cell.value, cell.data_type = "= à vérifier", "s"  # text, as LibreOffice saves '= à vérifier
    values, issues = read_needs_workbook(save(workbook), FILE)
    assert issues == [] and values["INF-PC-01"].comment == "= à vérifier"


def test_a_duplicated_ref_is_reported_on_its_second_row():
    content = edited(workbook_bytes(), {(2, "Référence"): "INF-PC-01"})
    _, issues = read_needs_workbook(content, FILE)
    first = header_row(load(content)[SHEET_TITLE]) + 1
    assert [(i.row, i.column, i.reason) for i in issues] == [
        (first + 2, "Référence", f"référence « INF-PC-01 » en double (déjà ligne {first})")
    ]


def test_a_quantity_without_a_ref_is_refused_and_blank_rows_are_skipped():
    workbook = load(workbook_bytes())
    sheet = workbook[SHEET_TITLE]
    last = header_row(sheet) + len(ROWS)
    sheet.cell(row=last + 3, column=column_of(sheet, "Quantité"), value=5)  # two blank rows, then a stray quantity
    _, issues = read_needs_workbook(save(workbook), FILE)
    assert [(i.row, i.column) for i in issues] == [(last + 3, "Référence")]


# --- bad columns ----------------------------------------------------------------------------


def test_a_missing_column_and_an_extra_column_are_both_named():
    workbook = load(workbook_bytes())
    sheet = workbook[SHEET_TITLE]
    row = header_row(sheet)
    sheet.cell(row=row, column=column_of(sheet, "Quantité N-1"), value="Quantité 2025")
    sheet.cell(row=row, column=len(COLUMNS) + 1, value="Observations")
    values, issues = read_needs_workbook(save(workbook), FILE)
    assert values == {}
    assert sorted((i.row, i.column, i.reason.split(" :")[0]) for i in issues) == [
        (row, "Observations", "colonne inattendue"),
        (row, "Quantité 2025", "colonne inattendue"),
        (row, "Quantité N-1", "colonne absente de l'en-tête"),
    ]


def test_a_sheet_without_the_table_header_is_refused_with_one_clear_message():
    workbook = Workbook()
    workbook.active.append(["Article", "Nombre"])
    workbook.active.append(["INF-PC-01", 3])
    _, issues = read_needs_workbook(save(workbook), FILE)
    assert len(issues) == 1 and issues[0].reason.startswith("en-tête du tableau introuvable")


def test_a_sheet_with_an_absurd_number_of_rows_is_refused():
    workbook = load(workbook_bytes())
    sheet = workbook[SHEET_TITLE]
    sheet.cell(row=header_row(sheet) + MAX_DATA_ROWS + 5, column=1, value="INF-X")
    _, issues = read_needs_workbook(save(workbook), FILE)
    assert len(issues) == 1 and issues[0].reason.startswith("trop de lignes")


def test_a_wrong_dimension_tag_written_by_another_tool_does_not_hide_rows():
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook_bytes())) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert b"<dimension ref=" in data
                data = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1"', data)
            target.writestr(info, data)
    values, issues = read_needs_workbook(buffer.getvalue(), FILE)
    assert issues == [] and set(values) == {"INF-PC-01", "INF-ECR-02", "FOU-RAM-01"}


# --- files that are not the workbook --------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CSV = "Référence;Quantité\nINF-PC-01;3\n".encode()


@pytest.mark.parametrize(
    ("content", "start"),
    [
        (b"", "le fichier est vide"),
        (b"   \n", "le fichier est vide"),
        (CSV, "ce fichier est un texte (CSV ?) renommé en .xlsx"),
        ("Référence;Quantité\n".encode("cp1252"), "ce fichier est un texte (CSV ?)"),
        (PNG, "ce fichier est une image PNG"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 32, "ce fichier est une image JPEG"),
        (b"%PDF-1.7\n", "ce fichier est un document PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32, "ancien format Excel (.xls)"),
        (b"PK\x03\x04" + b"\x00" * 40, "fichier .xlsx endommagé"),
        (b"\x00\x01\x02\x03" * 10, "ce fichier n'est pas un classeur Excel"),
    ],
)
def test_a_file_that_is_not_an_xlsx_gets_one_french_message_naming_it(content, start):
    values, issues = read_needs_workbook(content, "mes-besoins.xlsx")
    assert values == {}
    assert len(issues) == 1
    assert issues[0].file == "mes-besoins.xlsx" and issues[0].row is None
    assert issues[0].reason.startswith(start), issues[0].reason


def test_a_truncated_workbook_is_reported_as_damaged():
    content = workbook_bytes()
    _, issues = read_needs_workbook(content[: len(content) // 2], FILE)
    assert reasons(issues) == [reasons(read_needs_workbook(b"PK\x03\x04", FILE)[1])[0]]
    assert "endommagé" in issues[0].reason


def test_a_zip_that_is_not_a_workbook_or_an_ods_spreadsheet_is_named_as_such():
    def archive(files: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zipped:
            for name, data in files.items():
                zipped.writestr(name, data)
        return buffer.getvalue()

    ods = archive({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"})
    assert reasons(read_needs_workbook(ods, FILE)[1])[0].startswith("classeur OpenDocument (.ods)")
    other = archive({"photo.jpg": b"\xff\xd8\xff"})
    assert reasons(read_needs_workbook(other, FILE)[1]) == ["archive ZIP qui n'est pas un classeur Excel .xlsx"]


def test_a_workbook_with_a_broken_part_is_reported_as_damaged():
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook_bytes())) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, b"<pas du xml" if info.filename == "xl/workbook.xml" else data)
    _, issues = read_needs_workbook(buffer.getvalue(), FILE)
    assert len(issues) == 1 and "endommagé" in issues[0].reason


def test_a_file_over_the_size_limit_is_refused_before_being_opened():
    _, issues = read_needs_workbook(b"PK" + b"\x00" * 2000, FILE, max_bytes=1024)
    assert reasons(issues) == ["fichier trop volumineux (2 Ko ; 1 Ko au plus)"]
    _, issues = read_needs_workbook(b"PK" + b"\x00" * (12 * 1024 * 1024), FILE)
    assert reasons(issues) == ["fichier trop volumineux (12 Mo ; 10 Mo au plus)"]
    _, issues = read_needs_workbook(workbook_bytes(), FILE, max_bytes=3 * 1024 * 1024)
    assert issues == []


def test_a_zip_bomb_is_refused_without_being_inflated(monkeypatch):
    limits = dataclasses.replace(NEEDS_XLSX, max_total_bytes=1000)
    _, issues = read_needs_rows(workbook_bytes(), FILE, limits=limits)
    assert len(issues) == 1 and issues[0].reason.startswith("contenu décompressé trop volumineux")


# --- the sheet as stored: read by python-calamine, formulas and extent found in its XML ---------


def rewritten_sheet(content: bytes, rewrite) -> bytes:
    """The workbook with its sheet's XML passed through `rewrite`, as another tool might store it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = rewrite(data)
            target.writestr(info, data)
    return buffer.getvalue()


def test_a_stray_cell_at_the_end_of_the_sheet_is_refused_before_any_grid_is_built():
    # A dense grid up to XFD1048576 would be 17 billion cells: the reader must look at the extent first.
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    content = rewritten_sheet(workbook_bytes(), lambda xml: xml.replace(b"</sheetData>", far))
    _, issues = read_needs_workbook(content, FILE)
    assert [(issue.row, issue.reason) for issue in issues] == [
        (
            1048576,
            f"la feuille « Besoins » a une ligne n° {number(1048576)} ; au plus {number(NEEDS_XLSX.max_rows)} "
            "lignes sont admises : n'ajoutez ni ligne ni colonne au tableau, partez du fichier téléchargé",
        )
    ]


def test_a_cell_far_to_the_right_of_the_table_is_refused_with_its_column():
    note = b'<c r="ZZ1" t="inlineStr"><is><t>note</t></is></c></row>'
    content = rewritten_sheet(workbook_bytes(), lambda xml: xml.replace(b"</row>", note, 1))
    _, issues = read_needs_workbook(content, FILE)
    assert reasons(issues) == [
        "la feuille « Besoins » a une cellule en colonne ZZ ; au plus 100 colonnes sont admises : "
        "n'ajoutez ni ligne ni colonne au tableau, partez du fichier téléchargé"
    ]


def test_a_formula_is_found_in_a_sheet_whose_cells_carry_no_reference():
    content = edited(workbook_bytes(), {(1, "Quantité"): "=2*6"})
    stripped = rewritten_sheet(content, lambda xml: re.sub(rb'(<c) r="[A-Z]+[0-9]+"', rb"\1", xml))
    assert b'<c r="' not in zipfile.ZipFile(io.BytesIO(stripped)).read("xl/worksheets/sheet1.xml")
    _, issues = read_needs_workbook(stripped, FILE)
    assert [(issue.row, issue.column, issue.reason) for issue in issues] == [
        (header_row(load(content)[SHEET_TITLE]) + 2, "Quantité", "formule interdite : saisissez directement la valeur")
    ]


def test_the_needs_sheet_is_read_even_after_a_sheet_of_notes_with_formulas_put_first():
    workbook = load(edited(workbook_bytes(), {(0, "Quantité"): 7}))
    notes = workbook.create_sheet("Notes", 0)
    notes["G9"], notes["A1"] = "=1+1", "Référence"
    values, issues = read_needs_workbook(save(workbook), FILE)
    assert issues == [] and values["INF-PC-01"].quantity == 7
