"""The XML parts of an uploaded .xlsx, read as expat events by xlsx_guard: each part counts its
elements; the workbook lists its sheets, the relations their targets, the shared strings their
lengths, and a worksheet its extent, cells, text and formulas, every cell reference read as the
number it spells (zero padding, '+', lower case, '$'; a missing r implied as spreadsheets do)."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from groupement.core.files.upload_guard import (
    UploadRefused,
)
from groupement.core.formatting import number


@dataclass
class SheetShape:
    name: str
    part: str
    rows: int = 0  # the last row any reference names (0: empty sheet)
    columns: int = 0  # the last column, 1 for A
    cells: int = 0
    formulas: set[tuple[int, int]] = field(default_factory=set)  # (row, column from 0)


if TYPE_CHECKING:
    from groupement.core.files.xlsx_guard import _Check

MAX_REFERENCE_LENGTH = 40  # "$XFD$1048576" is 12; anything longer is not a reference
WORKSHEET_TYPE = "/worksheet"
SHARED_STRINGS_TYPE = "/sharedStrings"


def _local(name: str) -> str:
    return name[name.find(":") + 1 :]


class _Part:
    """Any XML part: its elements counted. Subclasses read what they need as the events come."""

    def __init__(self, check: _Check, name: str) -> None:
        self.check = check
        self.name = name
        self.elements = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.elements += 1
        if self.elements > self.check.limits.max_part_elements:
            limits = self.check.limits
            raise UploadRefused(
                f"la partie « {self.name[:80]} » du classeur compte plus de "
                f"{number(limits.max_part_elements)} éléments ; ce fichier n'est pas {limits.kind}"
            )

    def end(self, tag: str) -> None:
        pass

    def data(self, text: str) -> None:
        pass


class _Workbook(_Part):
    def __init__(self, check: _Check, name: str) -> None:
        super().__init__(check, name)
        self.sheets: list[tuple[str, str]] = []

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        super().start(tag, attrs)
        if _local(tag) == "sheet":
            relation = next((value for key, value in attrs.items() if _local(key) == "id" and ":" in key), "")
            self.sheets.append((attrs.get("name", ""), relation))
            limit = self.check.limits.max_sheets
            if len(self.sheets) > limit:
                raise UploadRefused(f"le classeur compte plus de {number(limit)} feuilles ; c'est le maximum admis")


class _Relations(_Part):
    def __init__(self, check: _Check, name: str) -> None:
        super().__init__(check, name)
        self.targets: dict[str, tuple[str, str]] = {}

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        super().start(tag, attrs)
        if _local(tag) == "Relationship":
            target = attrs.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            self.targets[attrs.get("Id", "")] = (path, attrs.get("Type", ""))


class _SharedStrings(_Part):
    """The length of each shared string (<si>: its <t>, or the <t> of its runs; not the phonetic ones)."""

    def __init__(self, check: _Check, name: str) -> None:
        super().__init__(check, name)
        self.length = 0
        self.depth_in_text = 0
        self.phonetic = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        tag = _local(tag)  # not counted: the strings are (max_cells), and their runs cost no memory here
        if tag == "rPh":
            self.phonetic += 1
        elif tag == "t" and not self.phonetic:
            self.depth_in_text += 1
        elif tag == "si":
            self.length = 0

    def end(self, tag: str) -> None:
        tag = _local(tag)
        if tag == "rPh":
            self.phonetic -= 1
        elif tag == "t" and not self.phonetic:
            self.depth_in_text -= 1
        elif tag == "si":
            shared = self.check.shared
            shared.append(self.length)
            if len(shared) > self.check.limits.max_cells:
                raise UploadRefused(f"la partie « {self.name[:80]} » du classeur compte trop de textes")

    def data(self, text: str) -> None:
        if self.depth_in_text:
            self.length += len(text)
            if self.length > self.check.limits.max_string_chars:
                raise self.check.long_string("textes partagés du classeur")


class _Worksheet(_Part):
    """Extent, cells, formulas and text of one sheet, every reference read as the number it spells."""

    def __init__(self, check: _Check, sheet: SheetShape) -> None:
        super().__init__(check, sheet.part)
        self.sheet = sheet
        self.where = f"la feuille « {sheet.name[:40]} »"
        self.row = self.column = self.cell_row = 0
        self.kind: str | None = None
        self.formula = False
        self.in_value = self.in_text = False
        self.value = ""
        self.length = 0

    def bounded(self, last_row: int, last_column: int, how: str) -> None:
        limits, where = self.check.limits, self.where
        if last_row > limits.max_rows:
            said = {
                "ref": f"a une ligne n° {number(last_row)}",
                "dimension": f"déclare {number(last_row)} lignes",
                "merge": f"fusionne des cellules jusqu'à la ligne {number(last_row)}",
            }[how]
            raise UploadRefused(
                f"{where} {said} ; au plus {number(limits.max_rows)} lignes sont admises : {limits.hint}",
                last_row if how == "ref" else None,
            )
        if last_column > limits.max_columns:
            letters = _letters(last_column)
            said = {
                "ref": f"a une cellule en colonne {letters}",
                "dimension": f"déclare {number(last_column)} colonnes (jusqu'à {letters})",
                "merge": f"fusionne des cellules jusqu'à la colonne {letters}",
            }[how]
            raise UploadRefused(
                f"{where} {said} ; au plus {number(limits.max_columns)} colonnes sont admises : {limits.hint}"
            )
        sheet = self.sheet
        if last_row > sheet.rows:
            sheet.rows = last_row
        if last_column > sheet.columns:
            sheet.columns = last_column

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        tag = _local(tag)
        if tag == "c":
            reference = attrs.get("r")
            if reference is None:
                self.cell_row, self.column = self.row, self.column + 1
            else:
                self.cell_row, self.column = _cell_reference(reference, self.where)
            self.bounded(self.cell_row, self.column, "ref")
            self.kind, self.formula, self.length, self.value = attrs.get("t"), False, 0, ""
            self.sheet.cells += 1
            self.check.add_cell()
        elif tag == "v":
            self.in_value = True
        elif tag == "t":
            self.in_text = True
        elif tag == "f":
            self.formula = True
        elif tag in ("is", "r", "rPh"):
            pass
        elif tag == "row":
            reference = attrs.get("r")
            self.row = _row_number(reference, self.where) if reference is not None else self.row + 1
            self.column = 0
            self.bounded(self.row, 0, "ref")
        elif tag in ("dimension", "mergeCell"):
            for reference in (attrs.get("ref") or "").split(":"):
                if reference.strip():
                    last_row, last_column = _cell_reference(reference, self.where, row_optional=True)
                    self.bounded(last_row, last_column, "dimension" if tag == "dimension" else "merge")
        else:
            super().start(tag, attrs)  # other elements are counted; cells are bounded on their own

    def end(self, tag: str) -> None:
        tag = _local(tag)
        if tag == "v":
            self.in_value = False
        elif tag == "t":
            self.in_text = False
        elif tag == "c":
            if self.formula:
                self.sheet.formulas.add((self.cell_row, self.column - 1))
            if self.kind == "s":
                try:
                    index = int(self.value.strip())
                except ValueError:
                    index = -1
                shared = self.check.shared
                if 0 <= index < len(shared):
                    self.check.add_text(shared[index], self.where)
            else:
                self.check.add_text(self.length, self.where)

    def data(self, text: str) -> None:
        if self.in_value or self.in_text:
            self.length += len(text)
            if self.length > self.check.limits.max_string_chars:
                raise self.check.long_string(self.where)
            if self.in_value and len(self.value) < 40:
                self.value += text[:40]


# A reference as any reader may take it: "B12", "b012", "$B$12", " B+12 ". The readers refuse some
# of these spellings (python-calamine wants upper or lower letters and bare digits), but none may
# stand for more than the number it spells. The plain spelling is read first, quickly.
_PLAIN = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})", re.ASCII)
_CELL = re.compile(r"\s*\$?([A-Za-z]+)\$?\s*(\+?[0-9_]*)\s*", re.ASCII)
_ROW = re.compile(r"\s*\$?(\+?[0-9_]+)\s*", re.ASCII)
_COLUMNS: dict[str, int] = {}


def _row_number(text: str, where: str) -> int:
    if text.isdigit() and text.isascii() and text[0] != "0":
        return int(text)
    match = _ROW.fullmatch(text) if len(text) <= MAX_REFERENCE_LENGTH else None
    try:
        value = int(match.group(1)) if match else 0
    except ValueError:  # "1__2"
        value = 0
    if value < 1:
        raise UploadRefused(f"{where} : numéro de ligne illisible « {text[:20]} »")
    return value


def _cell_reference(text: str, where: str, row_optional: bool = False) -> tuple[int, int]:
    """(row, column from 1) of a reference; row 0 when a range names whole columns ("A:C"),
    column 0 when it names whole rows ("1:3")."""
    match = _PLAIN.fullmatch(text)
    if match is not None:
        letters, digits = match.groups()
        column = _COLUMNS.get(letters) or _COLUMNS.setdefault(letters, _column(letters))
        return int(digits), column
    match = _CELL.fullmatch(text) if len(text) <= MAX_REFERENCE_LENGTH else None
    if match is None and row_optional and _ROW.fullmatch(text):
        return _row_number(text, where), 0
    if match is None or (not match.group(2) and not row_optional):
        raise UploadRefused(f"{where} : référence de cellule illisible « {text[:20]} »")
    letters, digits = match.groups()
    return (_row_number(digits, where) if digits else 0), _column(letters)


def _column(letters: str) -> int:
    if len(letters) > 8:
        return 26**8
    column = 0
    for letter in letters.upper():
        column = column * 26 + ord(letter) - ord("A") + 1
    return column


def _letters(column: int) -> str:
    if column > 26**4:
        return "au-delà de XFD"
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
