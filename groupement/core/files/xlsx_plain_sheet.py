"""The quick measure of a worksheet written the way spreadsheets write them, for xlsx_guard.

xlsx_guard's expat handlers cost a Python call per element: three quarters of a needs import's
time went there (77 ms for a 2 000-line file, that python-calamine then reads in 14 ms). Most
sheets are written plainly: every cell tag `<c r="B12" t="s">` with its reference first, every row
`<row r="12">`, no namespace prefix, no comment, CDATA, DTD or processing instruction, no
rich-text run. For such a sheet a few scans in C find the extent, the cells and the formulas the
handlers would find, exactly: with no comment, CDATA or instruction every '<' opens a tag, and one
regular expression names every start tag but the common ones (end tags, `<c `, `<v>`, `<t>`,
`<is>` and the plain `<row r="12">`), which are counted apart, so that the plain tags matched can
be counted against every tag of the same name. The formulas are found from the few '><f' (a
formula opening its cell, as spreadsheets write it), not from every cell.

The text is counted from above by the pass of expat that checks the sheet well-formed anyway,
without element handlers: every character of character data, whatever its element (the handlers
count those of <v> and <t>), plus the shared string of each cell that uses one. A piece of text
between two tags is bounded by half the limit of one cell (plainly written, a cell holds one <v>
and one inline <t>; a hostile cell splitting a long text into several <t> is still bounded by the
sheet's total).

When a count differs, or anything is unusual, not well-formed or reaches a limit, the answer is
None and the handlers measure the sheet as before and word the refusal as before: only an
acceptance is ever decided here, and it is never wider than the handlers'.

No findall here returns tuples: a list of 30 000 tuples (a 5 000-line sheet's cells) is as many
containers for the garbage collector, whose collections cost more in the application's large heap
than the passes they would save (measured: check_xlsx 91 -> 138 ms per file); lists of bytes are not
tracked.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from xml.parsers import expat

from groupement.core.files.upload_guard import SpreadsheetLimits, UploadRefused
from groupement.core.files.xlsx_parts import _cell_reference

# The name of every start tag but the common plain ones (read as a name is: up to a space, '/',
# '>', '!', '?' or '<'); a comment, CDATA or DTD is named "!…", an instruction "?…".
_CENSUS = re.compile(rb'<(?!/|c |v>|t>|is>|row r="[1-9][0-9]{0,6}"[\s/>])([!?]?[^\s/>!?<]*)')
_ROW = re.compile(rb'<row r="([1-9][0-9]{0,6})"[\s/>]')  # the plain rows the census leaves out
# A cell's start tag written plainly: its reference first, plain attributes (no '<', '>', '&'); its
# column letters (then, apart, its row: one list of bytes each).
_CELL_LETTERS = re.compile(rb'<c r="([A-Z]{1,3})[1-9][0-9]{0,6}"(?: [A-Za-z]+="[^"<>&]*")*\s*/?>')
_CELL_DIGITS = re.compile(rb'<c r="[A-Z]{1,3}([1-9][0-9]{0,6})"')
_CELL_REFERENCE = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"')
_SHARED_CELL = re.compile(rb'<c r="[A-Z]{1,3}[1-9][0-9]{0,6}"(?: [A-Za-z]+="[^"<>&]*")* t="s"')
# A shared string's cell plainly written: its index as the only <v>, then the cell's end.
_SHARED_INDEX = re.compile(
    rb'<c r="[A-Z]{1,3}[1-9][0-9]{0,6}"(?: [A-Za-z]+="[^"<>&]*")* t="s"[^>]*><v>([0-9]{1,9})</v></c>'
)
_FORMULA = re.compile(rb"<f[\s/>]")
_LETTERS, _DIGITS = re.compile(rb"[A-Z]+"), re.compile(rb"[0-9]+")
_NAME_ENDS = frozenset(b" \t\n\r\f\v/>")  # what ends a tag's name, for the regular expressions' \s
_REFERENCES = re.compile(rb'<(?:dimension|mergeCell) ref="([^"<>&]*)"')
_HANDLED = {b"c", b"v", b"t", b"f", b"is", b"r", b"rPh", b"row", b"dimension", b"mergeCell"}
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']*)["']""")
_PROLOG_SPACE = b"\xef\xbb\xbf \t\r\n"
_LEADING_SPACE = re.compile(rb"[\xef\xbb\xbf \t\r\n]*")
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
    """The sheet's measures, or None when it is not plain, not well-formed or reaches a limit (the
    handlers decide). A sheet measured here has been parsed by expat: well-formed UTF-8, no DTD."""
    head = xml[:200]
    first = _LEADING_SPACE.match(xml).end()
    if xml[first : first + 1] not in (b"<", b""):
        return None  # UTF-16, or anything but UTF-8: the handlers refuse it as before
    declared = head.lstrip(_PROLOG_SPACE).startswith(b"<?xml")
    encoding = _ENCODING.search(head) if declared else None
    if encoding is not None and encoding.group(1).lower() not in (b"utf-8", b"utf8"):
        return None
    names = Counter(_CENSUS.findall(xml))
    instructions = 0
    for name, count in names.items():
        if not name or name[:1] == b"!" or b":" in name:
            return None  # a comment, CDATA, DTD, prefix, or a '<' that opens no tag
        if name[:1] == b"?":
            instructions += count
    if instructions > (1 if declared else 0):
        return None
    unhandled = sum(count for name, count in names.items() if name not in _HANDLED and name[:1] != b"?")
    if unhandled > limits.max_part_elements:
        return None
    if names[b"row"] or names[b"c"] or names[b"r"] or names[b"rPh"]:
        return None  # a row or cell tag written otherwise, rich text runs, phonetics: the handlers
    letters = _CELL_LETTERS.findall(xml)
    if len(letters) != xml.count(b"<c "):
        return None  # a cell tag written otherwise: reference not first, a quote, an entity...
    references = []
    if names[b"dimension"] or names[b"mergeCell"]:
        references = [reference.decode("ascii", "replace") for reference in _REFERENCES.findall(xml)]
        if len(references) != names[b"dimension"] + names[b"mergeCell"]:
            return None
    rows = _ROW.findall(xml)
    sheet = PlainSheet(rows=max(map(int, rows), default=0), columns=0, cells=len(letters), text=0)
    for reference in (part for pair in references for part in pair.split(":") if part.strip()):
        try:
            last_row, last_column = _cell_reference(reference, "", row_optional=True)
        except UploadRefused:
            return None
        sheet.rows, sheet.columns = max(sheet.rows, last_row), max(sheet.columns, last_column)
    if letters:
        sheet.rows = max(sheet.rows, max(map(int, set(_CELL_DIGITS.findall(xml)))))
        sheet.columns = max(sheet.columns, *map(_column, set(letters)))
    if sheet.rows > limits.max_rows or sheet.columns > limits.max_columns:
        return None
    if cells_before + sheet.cells > limits.max_cells:
        return None
    half_cell = limits.max_string_chars // 2  # a cell holds a <v> and a <t> at most, once plain
    if len(xml) > half_cell and re.search(rb">[^<]{%d}" % (half_cell + 1), xml):
        return None  # a text between two tags longer than that (counted in bytes, never fewer than its characters)
    shared_text = _shared_text(xml, shared, half_cell)
    if shared_text is None:
        return None
    if (formulas := _formulas(xml, names[b"f"])) is None:
        return None
    sheet.formulas = formulas
    characters = _characters(xml)
    if characters is None:
        return None  # not well-formed: the handlers find where, and refuse it
    sheet.text = characters + shared_text
    if text_before + sheet.text > limits.max_text_chars:
        return None
    return sheet


def _shared_text(xml: bytes, shared: list[int], half_cell: int) -> int | None:
    """The length of the shared strings the sheet's cells use, each counted once per cell; None
    when a shared string's cell is not plainly written, or its string is too long for a quick yes.
    Without shared strings the type of a cell adds nothing (the handlers skip an unknown index)."""
    if not shared or b' t="s"' not in xml:
        return 0
    indexes = [int(index) for index in _SHARED_INDEX.findall(xml)]
    shared_cells = xml.count(b' t="s"')  # also counts the words « t="s" » in a text, if any
    if shared_cells != len(indexes) and len(_SHARED_CELL.findall(xml)) != len(indexes):
        return None
    if not indexes:
        return 0
    if max(indexes) >= len(shared):
        return None
    lengths = [shared[index] for index in indexes]
    if max(lengths) > half_cell:
        return None
    return sum(lengths)


def _characters(xml: bytes) -> int | None:
    """Every character of character data in the sheet, by expat without element handlers (the
    well-formedness check costs this pass anyway; buffered, the text comes in a few large pieces);
    None when the sheet is not well-formed UTF-8."""
    parser = expat.ParserCreate("utf-8")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    pieces: list[str] = []
    parser.buffer_text = True
    parser.buffer_size = 64 * 1024
    parser.CharacterDataHandler = pieces.append
    try:
        parser.Parse(xml, True)
    except expat.ExpatError:
        return None
    return sum(map(len, pieces))


def _formulas(xml: bytes, formulas: int) -> set[tuple[int, int]] | None:
    """(row, column from 0) of each cell holding an <f>: the nearest cell tag before it, if the
    <f> comes before that cell's end (an <f> outside any cell marks none, as for the handlers)."""
    if not formulas:
        return set()
    leading = _leading_formulas(xml, formulas)  # the usual spelling: the <f> first in its cell
    if leading is not None:
        return leading
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


def _leading_formulas(xml: bytes, formulas: int) -> set[tuple[int, int]] | None:
    """The cells of the `formulas` <f> when each one opens its cell (`<c r="I8"><f>`); None when
    any does not. Found from the '><f' that precede them (a few thousand, not every cell), their
    references gathered as bytes, then read by two scans: no match object nor tuple per formula
    but the answer's own (containers the garbage collector would track, see above)."""
    pieces = xml.split(b"><f")
    references = []
    for index in range(1, len(pieces)):
        after = pieces[index]
        if after and after[0] not in _NAME_ENDS:
            continue  # another element: <formula1>, <font>...
        before = pieces[index - 1]
        start = before.rfind(b"<")
        if before[-1:] == b"/" or not before.startswith(b'<c r="', start):
            return None  # after another tag, or after a cell that closed itself
        references.append(before[start + 6 : before.find(b'"', start + 6)])
    if len(references) != formulas:
        return None
    joined = b" ".join(references)  # each a plain reference: every cell tag was checked so above
    letters, digits = _LETTERS.findall(joined), _DIGITS.findall(joined)
    if len(letters) != formulas or len(digits) != formulas:
        return None
    columns = {name: _column(name) - 1 for name in set(letters)}
    return set(zip(map(int, digits), map(columns.__getitem__, letters), strict=True))


def _column(letters: bytes) -> int:
    column = 0
    for letter in letters:
        column = column * 26 + letter - ord("A") + 1
    return column
