"""The needs workbook written for a commune: the header block with the instructions, then the
table, everything locked but the « Quantité » and « Commentaire » cells. Plain data in, bytes out."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from groupement.campaigns.needs_sheet import (
    AMOUNT,
    COLUMNS,
    COMMENT,
    DESIGNATION,
    EDITABLE,
    FAMILY,
    HOW_TO,
    MAX_COMMENT_LENGTH,
    PREVIOUS,
    QUANTITY,
    REF,
    SHEET_TITLE,
    UNIT,
    UNIT_PRICE,
    WIDTHS,
    NeedsSheetRow,
)
from groupement.campaigns.rules import MAX_QUANTITY
from groupement.core.files.xlsx import (
    BLUE,
    BOX,
    EDITABLE_FILL,
    EURO_FORMAT,
    HEADER_FILL,
    HEADER_FONT,
    INTEGER_FORMAT,
    LOCKED,
    UNIT_PRICE_FORMAT,
    UNLOCKED,
    escape_text,
)


def write_needs_workbook(
    campaign_title: str,
    commune_name: str,
    deadline: str,
    instructions: str,
    rows: Sequence[NeedsSheetRow | tuple],
) -> bytes:
    """The pre-filled workbook: a header block with the instructions, then the protected table."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    last_column = get_column_letter(len(COLUMNS))
    for index, title in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS[title]

    block = [
        (f"Recensement des besoins : {campaign_title}", Font(bold=True, size=14, color=BLUE)),
        (f"Commune : {commune_name}", Font(bold=True)),
        (f"Date limite de saisie : {deadline}", Font(bold=True)),
        (HOW_TO, None),
    ]
    if instructions.strip():
        block.append((f"Consignes du coordonnateur : {instructions.strip()}", Font(italic=True)))
    for row_number, (text, font) in enumerate(block, start=1):
        cell = sheet.cell(row=row_number, column=1, value=escape_text(text))
        if font:
            cell.font = font
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(f"A{row_number}:{last_column}{row_number}")
        if len(text) > 120:
            sheet.row_dimensions[row_number].height = 15 * (len(text) // 150 + 2)

    header_row = len(block) + 3  # a blank row, the total, then the header
    first_row = header_row + 1
    last_row = first_row + max(len(rows), 1) - 1
    col = {title: get_column_letter(index) for index, title in enumerate(COLUMNS, start=1)}

    total_row = header_row - 1
    label = sheet.cell(row=total_row, column=len(COLUMNS) - 1, value="Total estimé HT")
    label.font = Font(bold=True)
    label.alignment = Alignment(horizontal="right")
    total = sheet.cell(
        row=total_row,
        column=len(COLUMNS),
        value=f"=SUM({col[AMOUNT]}{first_row}:{col[AMOUNT]}{last_row})",
    )
    total.font = Font(bold=True)
    total.number_format = EURO_FORMAT

    for index, title in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=header_row, column=index, value=title)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.border = BOX
    sheet.row_dimensions[header_row].height = 32

    for row_number, values in enumerate(rows, start=first_row):
        row = NeedsSheetRow(*values)
        cells = {
            REF: (escape_text(row.ref), None),
            DESIGNATION: (escape_text(row.designation), None),
            FAMILY: (escape_text(row.family), None),
            UNIT: (escape_text(row.unit), None),
            UNIT_PRICE: (row.unit_price, UNIT_PRICE_FORMAT),
            PREVIOUS: (row.previous_quantity, INTEGER_FORMAT),
            QUANTITY: (row.quantity or None, INTEGER_FORMAT),  # 0 is shown blank: easier to read
            COMMENT: (escape_text(row.comment) if row.comment else None, None),
            AMOUNT: (f"={col[UNIT_PRICE]}{row_number}*{col[QUANTITY]}{row_number}", EURO_FORMAT),
        }
        for index, title in enumerate(COLUMNS, start=1):
            value, number_format = cells[title]
            cell = sheet.cell(row=row_number, column=index, value=value)
            cell.border = BOX
            if number_format:
                cell.number_format = number_format
            if title in EDITABLE:
                cell.protection = UNLOCKED
                cell.fill = EDITABLE_FILL
            else:
                cell.protection = LOCKED
            if title in (DESIGNATION, COMMENT):
                cell.alignment = Alignment(wrap_text=True, vertical="top")

    quantities = DataValidation(
        type="whole",
        operator="between",
        formula1="0",
        formula2=str(MAX_QUANTITY),
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle="Quantité invalide",
        error="Saisissez un nombre entier de 0 à 1 000 000 (laisser vide : aucun besoin).",
        showInputMessage=True,
        promptTitle="Quantité",
        prompt="Nombre entier de 0 à 1 000 000.",
    )
    quantities.add(f"{col[QUANTITY]}{first_row}:{col[QUANTITY]}{last_row}")
    comments = DataValidation(
        type="textLength",
        operator="lessThanOrEqual",
        formula1=str(MAX_COMMENT_LENGTH),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Commentaire trop long",
        error="Le commentaire ne doit pas dépasser 500 caractères.",
    )
    comments.add(f"{col[COMMENT]}{first_row}:{col[COMMENT]}{last_row}")
    sheet.add_data_validation(quantities)
    sheet.add_data_validation(comments)

    sheet.freeze_panes = f"C{first_row}"
    sheet.auto_filter.ref = f"A{header_row}:{last_column}{last_row}"
    # No password: the protection prevents mistakes, it is not a security boundary (the reader
    # checks everything again). Resizing, filtering and sorting stay possible.
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False
    sheet.protection.autoFilter = False
    sheet.protection.sort = False
    sheet.protection.selectLockedCells = False
    sheet.protection.selectUnlockedCells = False

    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.print_options.gridLines = False
    sheet.oddFooter.center.text = "Page &P / &N"
    sheet.oddHeader.center.text = escape_text(f"{commune_name} : {campaign_title}")[:200]

    workbook.properties.title = escape_text(f"Besoins {commune_name} : {campaign_title}")[:200]
    workbook.properties.creator = "groupement"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
