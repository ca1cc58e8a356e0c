"""The quick measure of a worksheet written the way spreadsheets write them, for xlsx_guard.

xlsx_guard's expat handlers cost a Python call per element: three quarters of a needs import's
time went there (77 ms for a 2 000-line file, that python-calamine then reads in 14 ms). Most
sheets are written plainly: every cell tag `<c r="B12" t="s">` with its reference first and plain
attributes, every row `<row r="12">`, no namespace prefix, no comment, CDATA, DTD or processing
instruction, no rich-text run. For such a sheet, regular expressions (run in C) find the extent,
the cells and the formulas the handlers would find, exactly: with no comment, CDATA or
instruction every '<' opens a tag, so the plain tags matched can be counted against every tag of
the same name. The text is counted from above (each <v> and <t> in bytes, never fewer than its
characters, plus the shared string of each cell that uses one), and a cell's text is bounded by
half the limit of one cell (plainly written, a cell holds one <v> and one inline <t>; a hostile
cell splitting a long text into several <t> is still bounded by the sheet's total).

When a count differs, or anything is unusual or reaches a limit, the answer is None and the
handlers measure the sheet as before and word the refusal as before: only an acceptance is ever
decided here, and it is never wider than the handlers'.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from groupement.core.files.upload_guard import SpreadsheetLimits, UploadRefused
from groupement.core.files.xlsx_parts import _cell_reference

_START = re.compile(rb"<([^\s/>!?]+)")  # every start tag's name (end tags begin "</")
# A cell's start tag written plainly: its reference first, plain attributes (no '<', '>', '&').
_CELL_TAG = re.compile(rb'<c r="[A-Z]{1,3}[1-9][0-9]{0,6}"(?: [A-Za-z]+="[^"<>&]*")*\s*/?>')
_CELL_LETTERS = re.compile(rb'<c r="([A-Z]{1,3})[1-9]')
_CELL_REFERENCE = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"')
_CELL_DIGITS = re.compile(rb'<c r="[A-Z]{1,3}([1-9][0-9]{0,6})"')
_SHARED_CELL = re.compile(rb'<c r="[A-Z]{1,3}[1-9][0-9]{0,6}"(?: [A-Za-z]+="[^"<>&]*")* t="s"')
_SHARED_INDEX = re.compile(
    rb'<c r="[A-Z]{1,3}[1-9][0-9]{0,6}"(?: [A-Za-z]+="[^"<>&]*")* t="s"[^>]*><v>([0-9]{1,9})</v>'
)
_FORMULA = re.compile(rb"<f[\s/>]")
_LEADING_FORMULA = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: [A-Za-z]+="[^"<>&]*")*\s*><f[\s/>]')
_ROW = re.compile(rb'<row r="([1-9][0-9]{0,6})"[\s/>]')
_REFERENCES = re.compile(rb'<(?:dimension|mergeCell) ref="([^"<>&]*)"')
_TEXT = re.compile(rb"<(?:v|t)(?:\s[^>]*)?>([^<]*)</")
_HANDLED = {b"c", b"v", b"t", b"f", b"is", b"r", b"rPh", b"row", b"dimension", b"mergeCell"}
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")
PLAIN_SHEET_BYTES = 16 * 1024 * 1024  # larger sheets are streamed by the handlers


@dataclass
class PlainSheet:
    """What the handlers would have found, when the sheet is plain and within its limits."""

    rows: int
    columns: int
    cells: int
    text: int
    formulas: set[tuple[int, int]] = field(default_factory=set)


def measure_plain_sheet(
    xml: bytes, limits: SpreadsheetLimits, shared: list[int], cells_before: int, text_before: int
) -> PlainSheet | None:
    """The sheet's measures, or None when it is not plain or reaches a limit (the handlers decide)."""
    head = xml[:200]
    if b"<!" in xml or xml.count(b"<?") > (1 if xml.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml") else 0):
        return None
    encoding = _ENCODING.search(head) if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml") else None
    if encoding is not None and encoding.group(1).lower() not in (b"utf-8", b"utf8"):
        return None
    names = Counter(_START.findall(xml))
    if any(b":" in name for name in names):
        return None
    if sum(count for name, count in names.items() if name not in _HANDLED) > limits.max_part_elements:
        return None
    rows = [int(number) for number in _ROW.findall(xml)]
    references = [reference.decode("ascii", "replace") for reference in _REFERENCES.findall(xml)]
    if len(rows) != names[b"row"] or len(references) != names[b"dimension"] + names[b"mergeCell"]:
        return None
    if names[b"r"] or names[b"rPh"] or len(_CELL_TAG.findall(xml)) != names[b"c"]:
        return None  # rich text runs, phonetics, or a cell tag written otherwise: the handlers
    sheet = PlainSheet(rows=max(rows, default=0), columns=0, cells=names[b"c"], text=0)
    for reference in (part for pair in references for part in pair.split(":") if part.strip()):
        try:
            last_row, last_column = _cell_reference(reference, "", row_optional=True)
        except UploadRefused:
            return None
        sheet.rows, sheet.columns = max(sheet.rows, last_row), max(sheet.columns, last_column)
    if sheet.cells:
        sheet.rows = max(sheet.rows, max(map(int, _CELL_DIGITS.findall(xml))))
        sheet.columns = max(sheet.columns, *map(_column, set(_CELL_LETTERS.findall(xml))))
    if sheet.rows > limits.max_rows or sheet.columns > limits.max_columns:
        return None
    # Text: every <v> and <t> counted in bytes (at least its characters), and for a shared
    # string's cell that string's length too: never less than what the handlers count.
    texts = _TEXT.findall(xml)
    longest = max(map(len, texts), default=0)
    sheet.text = sum(map(len, texts))
    indexes = [int(index) for index in _SHARED_INDEX.findall(xml)] if b't="s"' in xml else []
    if indexes and len(indexes) != len(_SHARED_CELL.findall(xml)):
        return None
    if indexes:
        if max(indexes) >= len(shared):
            return None
        lengths = [shared[index] for index in indexes]
        sheet.text += sum(lengths)
        longest = max(longest, *lengths)
    if longest > limits.max_string_chars // 2:  # a cell holds a <v> and a <t> at most, once plain
        return None
    if (formulas := _formulas(xml)) is None:
        return None
    sheet.formulas = formulas
    if cells_before + sheet.cells > limits.max_cells or text_before + sheet.text > limits.max_text_chars:
        return None
    return sheet


def _formulas(xml: bytes) -> set[tuple[int, int]] | None:
    """(row, column from 0) of each cell holding an <f>: the nearest cell tag before it, if the
    <f> comes before that cell's end (an <f> outside any cell marks none, as for the handlers)."""
    formulas = len(_FORMULA.findall(xml))
    if not formulas:
        return set()
    leading = _LEADING_FORMULA.findall(xml)  # the usual spelling: the <f> first in its cell
    if len(leading) == formulas:
        columns = {letters: _column(letters) - 1 for letters in {letters for letters, _ in leading}}
        return {(int(digits), columns[letters]) for letters, digits in leading}
    found = set()
    for match in _FORMULA.finditer(xml):
        start = xml.rfind(b'<c r="', 0, match.start())
        if start < 0:
            continue
        tag_end = xml.find(b">", start, match.start())
        if tag_end < 0 or xml[tag_end - 1] == ord("/") or xml.find(b"</c>", tag_end, match.start()) >= 0:
            continue
        reference = _CELL_REFERENCE.match(xml, start)
        if reference is None:
            return None
        letters, digits = reference.groups()
        found.add((int(digits), _column(letters) - 1))
    return found


def _column(letters: bytes) -> int:
    column = 0
    for letter in letters:
        column = column * 26 + letter - ord("A") + 1
    return column
