"""The needs workbook read back. It trusts nothing of what comes back (a file may be a renamed
CSV, an image, a zip bomb, or a sheet whose protection was removed) and reports every problem
with the file name, the real Excel row number and the column. Bytes in, plain data out."""

from __future__ import annotations

import io
from dataclasses import replace

from python_calamine import CalamineWorkbook

from groupement.campaigns.needs_sheet import (
    COLUMNS,
    COMMENT,
    HEADER_SEARCH_ROWS,
    MAX_COMMENT_LENGTH,
    MAX_DATA_ROWS,
    QUANTITY,
    REF,
    SHEET_TITLE,
    UploadedNeed,
)
from groupement.campaigns.rules import MAX_QUANTITY, InvalidQuantity, NeedValue, parse_quantity
from groupement.core.files.upload_guard import CORRUPT_XLSX, MAX_UPLOAD_BYTES, NEEDS_XLSX, SpreadsheetLimits
from groupement.core.files.xlsx import (
    blank,
    cell_text,
    normal_title,
)
from groupement.core.files.xlsx_guard import UploadRefused, check_xlsx
from groupement.core.imports import ImportIssue

GRID_MARGIN_ROWS = 500  # rows an agent may add under the grid (unknown references are then named)


def read_needs_workbook(
    content: bytes, file_name: str, max_bytes: int = MAX_UPLOAD_BYTES
) -> tuple[dict[str, NeedValue], list[ImportIssue]]:
    """The quantities and comments of an uploaded workbook, by ref, and every problem found.

    When there is any issue the values must not be used: the import is all or nothing.
    """
    rows, issues = read_needs_rows(content, file_name, max_bytes)
    return {row.ref: row.value for row in rows}, issues


def read_needs_rows(
    content: bytes, file_name: str, max_bytes: int = MAX_UPLOAD_BYTES, limits: SpreadsheetLimits = NEEDS_XLSX
) -> tuple[list[UploadedNeed], list[ImportIssue]]:
    """As read_needs_workbook, keeping each row's Excel row number (to name it in later checks).

    The file is measured first (core.files.xlsx_guard: sheet extent, cells, strings, parts) within
    `limits`; python-calamine reads it only when it is bounded.
    """

    def issue(reason: str, row: int | None = None, column: str | None = None) -> ImportIssue:
        return ImportIssue(file_name, row, column, reason)

    try:
        shape = check_xlsx(content, limits, max_bytes)
    except UploadRefused as refusal:
        return [], [issue(refusal.reason, refusal.row)]
    sheet = shape.sheet(SHEET_TITLE)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        values = workbook.get_sheet_by_name(sheet.name).to_python(skip_empty_area=False)
    except Exception:  # calamine raises its own errors, and ValueError or OSError from the archive
        return [], [issue(CORRUPT_XLSX)]
    return _read_sheet(values, sheet.formulas, issue)


def limits_for_grid(lines: int) -> SpreadsheetLimits:
    """The needs file of a grid of `lines` lines: its rows, a margin for added ones, no more."""
    rows = min(NEEDS_XLSX.max_rows, HEADER_SEARCH_ROWS + lines + GRID_MARGIN_ROWS)
    return replace(NEEDS_XLSX, max_rows=rows, max_cells=min(NEEDS_XLSX.max_cells, rows * 12))


def _read_sheet(
    rows: list[list], formulas: set[tuple[int, int]], issue
) -> tuple[list[UploadedNeed], list[ImportIssue]]:
    """Find the header by its titles, then read every data row below it (rows[0] is Excel's row 1)."""
    issues: list[ImportIssue] = []
    needs: list[UploadedNeed] = []
    seen: dict[str, int] = {}
    positions: dict[str, int] | None = None
    header_row = 0
    ordinary = None
    for row_number, values in enumerate(rows, start=1):
        if positions is None:
            if row_number > HEADER_SEARCH_ROWS:
                break
            if normal_title(REF) in map(_title, values):
                header_row = row_number
                positions, header_issues = _check_header(values, row_number, issue)
                if header_issues:
                    return [], header_issues
                ordinary = _OrdinaryRows(positions, formulas)
            continue
        need = ordinary.read(row_number, values)
        if need is None:
            need, row_issues = _read_row(row_number, values, positions, formulas, issue)
        else:
            row_issues = []
        if need is None and not row_issues:
            continue  # a blank row
        if row_number - header_row > MAX_DATA_ROWS:
            return [], [issue(f"trop de lignes ({MAX_DATA_ROWS} au plus) : partez du fichier téléchargé", row_number)]
        issues += row_issues
        if need is None:
            continue
        if need.ref in seen:
            issues.append(issue(f"référence « {need.ref} » en double (déjà ligne {seen[need.ref]})", row_number, REF))
            continue
        seen[need.ref] = row_number
        needs.append(need)
    if positions is None:
        return [], [
            issue(
                "en-tête du tableau introuvable (une ligne avec les colonnes « Référence » et « Quantité » est "
                "attendue) : partez du fichier téléchargé depuis l'application"
            )
        ]
    if not needs and not issues:
        issues.append(issue("aucune ligne de besoin sous l'en-tête du tableau"))
    return needs, issues


def _check_header(titles: list, row: int, issue) -> tuple[dict[str, int], list[ImportIssue]]:
    expected = {normal_title(title): title for title in COLUMNS}
    positions: dict[str, int] = {}
    issues = []
    for index, title in enumerate(titles):
        if blank(title):
            continue
        column = expected.get(_title(title))
        if column is None:
            written = " ".join(str(title).split())[:60]
            issues.append(issue("colonne inattendue : n'ajoutez pas de colonne au tableau", row, written))
        elif column in positions:
            issues.append(issue("colonne en double dans l'en-tête", row, column))
        else:
            positions[column] = index
    issues += [
        issue("colonne absente de l'en-tête : ne supprimez ni ne renommez de colonne", row, title)
        for title in COLUMNS
        if title not in positions
    ]
    return positions, issues


def _read_row(
    row: int, values: list, positions: dict[str, int], formulas: set[tuple[int, int]], issue
) -> tuple[UploadedNeed | None, list[ImportIssue]]:
    def value_of(title: str):
        index = positions[title]
        return values[index] if index < len(values) else None

    ref, raw_quantity, comment = value_of(REF), value_of(QUANTITY), value_of(COMMENT)
    issues = []
    for title, value in ((REF, ref), (QUANTITY, raw_quantity), (COMMENT, comment)):
        typed_formula = title == QUANTITY and isinstance(value, str) and value.startswith("=")
        if (row, positions[title]) in formulas or typed_formula:
            issues.append(issue("formule interdite : saisissez directement la valeur", row, title))
    if issues:
        return None, issues

    ref, comment = cell_text(ref), cell_text(comment)
    if not ref:
        if blank(raw_quantity) and not comment:
            return None, []
        return None, [issue("référence absente : une quantité ou un commentaire sans article", row, REF)]
    try:
        quantity = parse_quantity(raw_quantity)
    except InvalidQuantity as error:
        issues.append(issue(str(error), row, QUANTITY))
        quantity = 0
    if len(comment) > MAX_COMMENT_LENGTH:
        reason = f"commentaire trop long ({len(comment)} caractères, {MAX_COMMENT_LENGTH} au plus)"
        issues.append(issue(reason, row, COMMENT))
    if issues:
        return None, issues
    return UploadedNeed(row, ref, NeedValue(quantity, comment)), []


class _OrdinaryRows:
    """The common row read quickly: a text reference, a whole quantity (a number, or empty) and a
    short text comment (or none), no formula in those cells. Anything else (None) is read by
    _read_row, which names every problem; both give the same UploadedNeed for an ordinary row."""

    def __init__(self, positions: dict[str, int], formulas: set[tuple[int, int]]) -> None:
        self.ref, self.quantity, self.comment = positions[REF], positions[QUANTITY], positions[COMMENT]
        columns = {self.ref, self.quantity, self.comment}
        self.formula_rows = {row for row, column in formulas if column in columns}
        self.width = max(columns) + 1

    def read(self, row: int, values: list) -> UploadedNeed | None:
        if len(values) < self.width or row in self.formula_rows:
            return None
        ref, quantity, comment = values[self.ref], values[self.quantity], values[self.comment]
        if type(ref) is not str or type(comment) is not str:
            return None
        ref, comment = ref.strip(), comment.strip()
        if not ref or ref[0] == "'" or len(comment) > MAX_COMMENT_LENGTH or comment[:1] == "'":
            return None
        if type(quantity) is float and quantity.is_integer():
            quantity = int(quantity)
        elif quantity == "":
            quantity = 0
        if type(quantity) is not int or not 0 <= quantity <= MAX_QUANTITY:
            return None
        return UploadedNeed(row, ref, NeedValue(quantity, comment))


def _title(value) -> str:
    return normal_title(value) if isinstance(value, str) else ""
