"""Write-only openpyxl helpers shared by the tender workbooks: workbook, sheets, styled cells, print setup."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from copy import copy
from math import ceil
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import NamedStyle
from openpyxl.utils import get_column_letter

from groupement.core.files.xlsx import escape_text
from groupement.tenders.tender_layout import HEADER, HEADER_ROW, PAPER_A4, STYLES

# --- write-only helpers -------------------------------------------------------------------------


class Formula(str):
    """A formula built here: the one kind of text written unescaped."""


def workbook(title: str) -> Workbook:
    workbook = Workbook(write_only=True)
    workbook.properties.title = _clean(title)[:200]
    workbook.properties.creator = "groupement"
    # Formula cells have no cached value (openpyxl does not compute): ask for a calculation on load.
    workbook.calculation.fullCalcOnLoad = True
    for name, attributes in STYLES.items():
        workbook.add_named_style(NamedStyle(name=name, **attributes))
    return workbook


def sheet(workbook: Workbook, title: str, widths: Sequence[int], hidden: Iterable[int], freeze: str | None):
    """A write-only sheet with its top part set (widths, hidden columns, panes, fit to page): it is
    written on the first append and cannot change afterwards."""
    sheet = workbook.create_sheet(title[:31])
    hidden = set(hidden)
    for index, width in enumerate(widths, start=1):
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = width
        dimension.hidden = index in hidden
    if freeze:
        sheet.freeze_panes = freeze
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    return sheet


def header_block(sheet, width: int, block: Sequence[tuple[str, str]]) -> None:
    """Rows 1 to 5, one text each, merged across the table's width; then row 6, blank."""
    assert len(block) == HEADER_ROW - 2
    last = get_column_letter(max(width, 1))
    for row, (text, style) in enumerate(block, start=1):
        characters_per_line = 12 * max(width, 1)
        if len(text) > characters_per_line:
            sheet.row_dimensions[row].height = 15 * ceil(len(text) / characters_per_line)
        sheet.append([cell(sheet, text or None, style)])
        sheet.merged_cells.add(f"A{row}:{last}{row}")
    sheet.append([])


def table_header(sheet, titles: Sequence[str], height: int = 32) -> None:
    sheet.row_dimensions[HEADER_ROW].height = height
    sheet.append([cell(sheet, title, HEADER) for title in titles])


def cell(sheet, value, style: str) -> WriteOnlyCell:
    """A styled cell; a text that is not one of our formulas is cleaned and escaped."""
    if isinstance(value, str) and not isinstance(value, Formula):
        value = escape_text(_clean(value))
    cell = WriteOnlyCell(sheet, value=value)
    # Naming the style looks it up in the workbook on every cell; its resolved array is copied instead
    # (a recap at a thousand communes has millions of cells).
    resolved = _STYLE_ARRAYS.setdefault(sheet.parent, {})
    if style in resolved:
        cell._style = copy(resolved[style])
    else:
        cell.style = style
        resolved[style] = copy(cell._style)
    return cell


_STYLE_ARRAYS: WeakKeyDictionary[Workbook, dict[str, object]] = WeakKeyDictionary()


def protect(sheet) -> None:
    """Protected without password; resizing, filtering and selecting stay possible."""
    protection = sheet.protection
    protection.sheet = True
    protection.formatColumns = False
    protection.formatRows = False
    protection.autoFilter = False
    protection.selectLockedCells = False
    protection.selectUnlockedCells = False


def print_setup(sheet, header: str, pages_wide: int = 1) -> None:
    """A4 landscape, fit to the width, the table header repeated on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = PAPER_A4
    sheet.page_setup.fitToWidth = pages_wide
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddHeader.center.text = _header_footer_text(header)
    sheet.oddFooter.center.text = "Page &P / &N"


def save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- small helpers -------------------------------------------------------------------------------


def count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number > 1 else ''}"


def distinct(values: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(values))


def _clean(text: str) -> str:
    """Without the control characters an xlsx file cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _header_footer_text(text: str) -> str:
    """In a print header & starts a code: doubled, it prints itself."""
    return _clean(text)[:120].replace("&", "&&")
