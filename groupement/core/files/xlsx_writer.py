"""Spreadsheets written with XlsxWriter in constant-memory mode: rows go to a temporary file as they
are written, so a workbook of millions of cells never sits in memory; about five times faster per
styled cell than openpyxl's write-only mode.

What constant-memory mode means for the callers:
- rows are written top to bottom and never revisited (`Sheet.append` writes the next row): every row
  number a formula refers to is computed before writing; a row's height is set before the row;
- column widths, hidden columns, panes, protection, validations, print settings may be set at any
  time before `Book.save`;
- text cells are inline strings (no shared-string table to hold), read back by openpyxl and calamine;
- formulas are written without a cached result (XlsxWriter would write 0): the workbook asks for a
  full calculation on load (Excel and LibreOffice compute on opening); tools that only read cached
  values (python-calamine, pandas, mail previews) see those cells empty.

Every text cell is written as text, never parsed: a text that is not a `Formula` built by the code
is cleaned of the control characters an xlsx file cannot hold and escaped (`escape_text`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter
from xlsxwriter.utility import xl_cell_to_rowcol
from xlsxwriter.worksheet import Worksheet

from groupement.core.files.xlsx import escape_text

# The characters XML 1.0 cannot hold (as openpyxl's ILLEGAL_CHARACTERS_RE).
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_FIXED_DATE = datetime(2000, 1, 1)  # docProps: the same data give the same bytes

OPTIONS = {
    # Values are written through the typed methods only; these keep write() from guessing anyway.
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
}
# Up to this many cells a workbook is built in memory (no temporary file at all: a few Mo at most);
# above, in constant-memory mode. Most tender files are small (a lot's DQE, a commune's annex), and
# the temporary files of constant-memory mode cost more than their cells there.
IN_MEMORY_CELLS = 10_000

# The functions of our formulas: none needs the _xlfn. prefix of Excel 2010+ functions, so that
# XlsxWriter's 30-odd regular expressions per formula (which add it) can be skipped.
_FUNCTION = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\(")
PLAIN_FUNCTIONS = frozenset({"SUM", "ROUND", "SUMPRODUCT"})


class _Worksheet(Worksheet):
    def _prepare_formula(self, formula, expand_future_functions=False):
        if formula.__class__ is _PlainFormula:  # its template's functions were checked once
            return formula[1:]
        if not formula.startswith("{") and set(_FUNCTION.findall(formula)) <= PLAIN_FUNCTIONS:
            return formula[1:] if formula.startswith("=") else formula
        return super()._prepare_formula(formula, expand_future_functions)


class Formula(str):
    """A formula built by the code: the one kind of text written unescaped."""


class _PlainFormula(Formula):
    """A formula of a `formula_template`: only PLAIN_FUNCTIONS, starting with "="."""


def formula_template(template: str) -> Callable[..., Formula]:
    """`template` ("=ROUND(E{row}*F{row},2)") as a function of its fields giving the Formula: its
    functions are checked once, not per cell (a thousand annexes write a million such formulas)."""
    if not template.startswith("=") or not set(_FUNCTION.findall(template)) <= PLAIN_FUNCTIONS:
        raise ValueError(f"formule hors des fonctions simples : {template}")
    fill = template.format
    return lambda **fields: _PlainFormula(fill(**fields))


class Text(str):
    """A text already cleaned and escaped by `text()`: prepared once, written as is in many rows."""


def text(value: str) -> Text:
    return Text(escape_text(clean(value)))


@dataclass(frozen=True, slots=True)
class Cell:
    value: object
    style: str | None = None


def clean(text: str) -> str:
    """Without the control characters an xlsx file cannot hold."""
    return _ILLEGAL.sub("", text)


class Book:
    """One workbook: its named formats (`styles`: name -> XlsxWriter format properties), its sheets,
    its bytes on `save()`."""

    def __init__(self, title: str, styles: Mapping[str, Mapping[str, object]] | None = None, cells: int | None = None):
        """`cells`: about how many cells it will hold (None: unknown, constant-memory mode)."""
        self._buffer = io.BytesIO()
        in_memory = cells is not None and cells <= IN_MEMORY_CELLS
        self.workbook = xlsxwriter.Workbook(self._buffer, {**OPTIONS, "in_memory": in_memory, "constant_memory": True})
        self.workbook.set_properties({"title": clean(title)[:200], "author": "groupement", "created": _FIXED_DATE})
        self.formats = {name: self.workbook.add_format(dict(properties)) for name, properties in (styles or {}).items()}

    def format(self, style: str | None):
        return None if style is None else self.formats[style]

    def add_format(self, name: str, properties: Mapping[str, object]) -> None:
        if name not in self.formats:
            self.formats[name] = self.workbook.add_format(dict(properties))

    def sheet(
        self,
        title: str,
        widths: Sequence[float] = (),
        hidden: Iterable[int] = (),
        freeze: str | None = None,
    ) -> Sheet:
        """A sheet; widths of columns 1, 2…, `hidden` column numbers (from 1), panes frozen at a cell."""
        worksheet = self.workbook.add_worksheet(title[:31], worksheet_class=_Worksheet)
        hidden = set(hidden)
        for index, width in enumerate(widths):
            options = {"hidden": True} if index + 1 in hidden else None
            worksheet.set_column(index, index, width, None, options)
        if freeze:
            worksheet.freeze_panes(*xl_cell_to_rowcol(freeze))
        return Sheet(self, worksheet)

    def save(self) -> bytes:
        self.workbook.close()
        return self._buffer.getvalue()


class Sheet:
    """A worksheet written row by row. Rows are numbered from 1, as in the spreadsheet."""

    def __init__(self, book: Book, worksheet):
        self.book = book
        self.worksheet = worksheet
        self.row = 0  # the last row written (1-based); 0 before the first
        self._last: Sequence = ()
        self._last_styles: Sequence[str | None] | None = None  # when the last row came from styled_rows()

    def height(self, row: int, height: float) -> None:
        """A row's height, before the row is written."""
        self.worksheet.set_row(row - 1, height)

    def append(self, cells: Sequence[Cell | object | None] = ()) -> int:
        """The next row: `Cell`s (styled), plain values, None for no cell at all. Returns its number."""
        self.row += 1
        row = self.row - 1
        formats = self.book.formats
        worksheet = self.worksheet
        # The common cases inline (millions of cells at a thousand communes), the others in _write.
        for column, cell in enumerate(cells):
            if cell is None:
                continue
            if cell.__class__ is Cell:
                value, fmt = cell.value, None if cell.style is None else formats[cell.style]
            else:
                value, fmt = cell, None
            kind = value.__class__
            if kind is int or kind is Decimal or kind is float:
                worksheet.write_number(row, column, value, fmt)
            elif kind is str:
                worksheet.write_string(row, column, escape_text(clean(value)), fmt)
            elif kind is Formula:
                worksheet.write_formula(row, column, value, fmt, "")
            else:
                self._write(row, column, value, fmt)
        self._last, self._last_styles = cells, None
        return self.row

    def styled_rows(self, styles: Sequence[str | None]) -> Callable[[Sequence[object]], int]:
        """A function appending the next row from its values alone, column i in styles[i]: as
        append() without a Cell per value nor a format looked up per cell (the annexes' millions of
        cells). Values: numbers, `Text`, `Formula`, None (no cell), or what append() takes."""
        formats = [self.book.format(style) for style in styles]
        worksheet = self.worksheet
        write_number, write_string, write_formula = (
            worksheet.write_number,
            worksheet.write_string,
            worksheet.write_formula,
        )

        def append_values(values: Sequence[object]) -> int:
            self.row += 1
            row = self.row - 1
            for column, value in enumerate(values):
                kind = value.__class__
                if kind is int or kind is float:
                    write_number(row, column, value, formats[column])
                elif kind is Text:
                    write_string(row, column, value, formats[column])
                elif kind is _PlainFormula or kind is Formula:
                    write_formula(row, column, value, formats[column], "")
                elif value is not None:
                    self._write(row, column, value, formats[column])
            self._last, self._last_styles = values, styles
            return self.row

        return append_values

    def merge_last(self, first_column: int, last_column: int) -> None:
        """Merge columns first..last (from 1) of the row just written; each cell keeps its style."""
        row = self.row - 1
        last = self._last
        if self._last_styles is not None:
            last = [
                None if value is None else Cell(value, style)
                for value, style in zip(last, self._last_styles, strict=False)
            ]
        cells = [*last] + [None] * (last_column - len(last))
        first = cells[first_column - 1]
        value, style = (first.value, first.style) if isinstance(first, Cell) else (first, None)
        fmt = self.book.format(style)
        if isinstance(value, str) and not isinstance(value, Formula | Text):
            value = escape_text(clean(value))
        self.worksheet.merge_range(row, first_column - 1, row, last_column - 1, "", fmt)
        self._write(row, first_column - 1, value, fmt, escaped=True)
        for column in range(first_column, last_column):
            cell = cells[column]
            if isinstance(cell, Cell):
                self._write(row, column, cell.value, self.book.format(cell.style))
            elif cell is not None:
                self._write(row, column, cell, None)

    def _write(self, row: int, column: int, value, fmt, escaped: bool = False) -> None:
        write = self.worksheet
        if value is None:
            if fmt is not None:
                write.write_blank(row, column, None, fmt)
        elif isinstance(value, Formula):
            write.write_formula(row, column, value, fmt, "")
        elif isinstance(value, str):
            escaped = escaped or value.__class__ is Text
            write.write_string(row, column, value if escaped else escape_text(clean(value)), fmt)
        elif isinstance(value, bool):
            write.write_boolean(row, column, value, fmt)
        elif isinstance(value, int | float | Decimal):
            write.write_number(row, column, value, fmt)  # NaN and infinities refused by XlsxWriter
        elif isinstance(value, date):  # datetime included
            if fmt is None:
                fmt = self._date_format(isinstance(value, datetime))
            write.write_datetime(row, column, value, fmt)
        else:
            raise TypeError(f"valeur de cellule non prise en charge : {type(value).__name__}")

    def _date_format(self, with_time: bool):
        from groupement.core.files.xlsx import DATE_FORMAT, DATETIME_FORMAT

        name = "_datetime" if with_time else "_date"
        self.book.add_format(name, {"num_format": DATETIME_FORMAT if with_time else DATE_FORMAT})
        return self.book.formats[name]

    # --- the sheet's settings (any time before save) ---------------------------------------------

    def protect(self) -> None:
        """Protected without password; resizing, filtering and selecting stay possible."""
        self.worksheet.protect(
            "",
            {
                "format_columns": True,
                "format_rows": True,
                "autofilter": True,
                "select_locked_cells": True,
                "select_unlocked_cells": True,
            },
        )

    def validate(self, ranges: Sequence[str], options: Mapping[str, object]) -> None:
        """One data validation over several ranges ("G8:G10", "H8:H10")."""
        first_row, first_column = xl_cell_to_rowcol(ranges[0].split(":")[0])
        last_row, last_column = xl_cell_to_rowcol(ranges[0].split(":")[-1])
        self.worksheet.data_validation(
            first_row, first_column, last_row, last_column, {**options, "multi_range": " ".join(ranges)}
        )

    def print_setup(
        self,
        header: str,
        *,
        title_row: int | None = None,
        title_columns: tuple[int, int] | None = None,
        pages_wide: int = 1,
        gridlines: bool = False,
        footer: str = "Page &P / &N",
    ) -> None:
        """A4 landscape, fit to the width, centred; `title_row` (from 1) repeated on every page."""
        worksheet = self.worksheet
        worksheet.set_landscape()
        worksheet.set_paper(9)
        worksheet.fit_to_pages(pages_wide, 0)
        worksheet.center_horizontally()
        worksheet.set_margins(left=0.4, right=0.4)
        if header:
            worksheet.set_header("&C" + header_footer_text(header))
        if footer:
            worksheet.set_footer("&C" + footer)
        if title_row:
            worksheet.repeat_rows(title_row - 1)
        if title_columns:
            worksheet.repeat_columns(title_columns[0] - 1, title_columns[1] - 1)
        if gridlines:
            worksheet.hide_gridlines(0)

    def autofilter(self, first: str, last: str) -> None:
        self.worksheet.autofilter(f"{first}:{last}")


def header_footer_text(text: str) -> str:
    """In a print header & starts a code: doubled, it prints itself."""
    return clean(text)[:120].replace("&", "&&")


__all__ = ["Book", "Cell", "Formula", "Sheet", "Text", "clean", "formula_template", "header_footer_text", "text"]
