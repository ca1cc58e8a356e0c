"""Spreadsheet output: streamed with openpyxl's write-only mode, French formats, safe text."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EURO_FORMAT = '#,##0.00\\ "€"'
UNIT_PRICE_FORMAT = '#,##0.00##\\ "€"'
INTEGER_FORMAT = "#,##0"
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"

# The house style of the workbooks people fill in: blue headers, yellow cells to type in.
BLUE = "000091"
EDITABLE_FILL = PatternFill("solid", fgColor="FFF4C2")
HEADER_FILL = PatternFill("solid", fgColor=BLUE)
HEADER_FONT = Font(bold=True, color="FFFFFF")
THIN = Side(style="thin", color="BBBBBB")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
LOCKED = Protection(locked=True)
UNLOCKED = Protection(locked=False)


def escape_text(value: str) -> str:
    """A text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


@dataclass(frozen=True)
class Column:
    title: str
    width: int = 15
    number_format: str | None = None


def table_bytes(sheet_title: str, columns: Sequence[Column], rows: Iterable[Sequence]) -> bytes:
    """One sheet: a bold frozen header and the rows, values typed (Decimal stays exact)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[_letter(index)].width = column.width
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="000091")
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.title)
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_cell(sheet, value, column) for value, column in zip(row, columns, strict=True)])
    sheet.auto_filter.ref = f"A1:{_letter(len(columns))}1"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(sheet, value, column: Column):
    if isinstance(value, str):
        return escape_text(value)
    if value is None or column.number_format is None and not isinstance(value, date | datetime):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    if column.number_format:
        cell.number_format = column.number_format
    elif isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    else:
        cell.number_format = DATE_FORMAT
    return cell


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
__all__ = ["Column", "Decimal", "EURO_FORMAT", "XLSX_MIMETYPE", "escape_text", "table_bytes"]


# --- reading cells back -------------------------------------------------------------------


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value) -> str:
    """A cell as text, without the apostrophe that escape_text added on the way out."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        text = text[1:]
    return text


def normal_title(title: str) -> str:
    return " ".join(title.split()).casefold()
