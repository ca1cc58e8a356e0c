"""The tender workbooks' writing helpers on top of core.files.xlsx_writer (XlsxWriter, constant
memory): the workbook with the house's named formats, sheets, header block, table header, styled
cells, protection and print setup."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from math import ceil

from groupement.core.files.xlsx_writer import Book, Cell, Formula, Sheet, clean, formula_template
from groupement.tenders.tender_layout import HEADER, HEADER_ROW, STYLES


def workbook(title: str, cells: int | None = None) -> Book:
    """A workbook with the tender files' formats, of about `cells` cells; it asks for a full
    calculation on load."""
    return Book(title, STYLES, cells=cells)


def sheet(book: Book, title: str, widths: Sequence[int], hidden: Iterable[int], freeze: str | None) -> Sheet:
    return book.sheet(title, widths, hidden=hidden, freeze=freeze)


def header_block(sheet: Sheet, width: int, block: Sequence[tuple[str, str]]) -> None:
    """Rows 1 to 5, one text each, merged across the table's width; then row 6, blank."""
    assert len(block) == HEADER_ROW - 2
    width = max(width, 2)
    characters_per_line = 12 * width
    for row, (text, style) in enumerate(block, start=1):
        if len(text) > characters_per_line:
            sheet.height(row, 15 * ceil(len(text) / characters_per_line))
        sheet.append([cell(text or None, style)])
        sheet.merge_last(1, width)
    sheet.append()


def table_header(sheet: Sheet, titles: Sequence[str], height: int = 32) -> None:
    sheet.height(HEADER_ROW, height)
    sheet.append([cell(title, HEADER) for title in titles])


def cell(value, style: str) -> Cell:
    """A styled cell; a text that is not one of our formulas is cleaned and escaped when written."""
    return Cell(value, style)


def protect(sheet: Sheet) -> None:
    sheet.protect()


def print_setup(
    sheet: Sheet, header: str, pages_wide: int = 1, title_columns: int = 0, gridlines: bool = False
) -> None:
    """A4 landscape, fit to the width, the table header repeated on every page (and the first
    `title_columns` columns when it prints several pages wide)."""
    sheet.print_setup(
        header,
        title_row=HEADER_ROW,
        title_columns=(1, title_columns) if title_columns else None,
        pages_wide=pages_wide,
        gridlines=gridlines,
    )


def save(book: Book) -> bytes:
    return book.save()


# --- small helpers -------------------------------------------------------------------------------


def count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number > 1 else ''}"


def distinct(values: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(values))


__all__ = ["Formula", "clean", "count", "distinct", "formula_template"]
