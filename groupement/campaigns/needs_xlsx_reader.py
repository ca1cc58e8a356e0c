"""The needs workbook read back. It trusts nothing of what comes back (a file may be a renamed
CSV, an image, a zip bomb, or a sheet whose protection was removed) and reports every problem
with the file name, the real Excel row number and the column. Bytes in, plain data out."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from operator import itemgetter

from lxml import etree
from openpyxl.utils import column_index_from_string, get_column_letter
from python_calamine import CalamineWorkbook

from groupement.campaigns.needs_sheet import (
    COLUMNS,
    COMMENT,
    HEADER_SEARCH_ROWS,
    MAX_COLUMNS,
    MAX_COMMENT_LENGTH,
    MAX_DATA_ROWS,
    QUANTITY,
    REF,
    SHEET_TITLE,
    UploadedNeed,
)
from groupement.campaigns.rules import InvalidQuantity, NeedValue, parse_quantity
from groupement.core.files.upload_guard import (
    CORRUPT_XLSX,
    MAX_UNCOMPRESSED_BYTES,
    MAX_UPLOAD_BYTES,
    megabytes,
    not_a_zip,
    zip_kind,
)
from groupement.core.files.xlsx import (
    blank,
    cell_text,
    normal_title,
)
from groupement.core.imports import ImportIssue


def read_needs_workbook(
    content: bytes, file_name: str, max_bytes: int = MAX_UPLOAD_BYTES
) -> tuple[dict[str, NeedValue], list[ImportIssue]]:
    """The quantities and comments of an uploaded workbook, by ref, and every problem found.

    When there is any issue the values must not be used: the import is all or nothing.
    """
    rows, issues = read_needs_rows(content, file_name, max_bytes)
    return {row.ref: row.value for row in rows}, issues


def read_needs_rows(
    content: bytes, file_name: str, max_bytes: int = MAX_UPLOAD_BYTES
) -> tuple[list[UploadedNeed], list[ImportIssue]]:
    """As read_needs_workbook, keeping each row's Excel row number (to name it in later checks)."""

    def issue(reason: str, row: int | None = None, column: str | None = None) -> ImportIssue:
        return ImportIssue(file_name, row, column, reason)

    if len(content) > max_bytes:
        return [], [issue(f"fichier trop volumineux ({megabytes(len(content))} ; {megabytes(max_bytes)} au plus)")]
    if not content.strip():
        return [], [issue("le fichier est vide")]
    if not content.startswith(b"PK"):
        return [], [issue(not_a_zip(content))]
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = set(archive.namelist())
        inflated = sum(info.file_size for info in archive.infolist())
        if inflated > MAX_UNCOMPRESSED_BYTES:
            return [], [issue("contenu décompressé trop volumineux : ce fichier n'est pas un export de l'application")]
        broken = archive.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError):
        return [], [issue(CORRUPT_XLSX)]
    if broken is not None:
        return [], [issue(CORRUPT_XLSX)]
    if "xl/workbook.xml" not in names:
        return [], [issue(zip_kind(archive, names))]

    try:
        sheet_name, part = _sheet_part(archive, SHEET_TITLE)
        sheet_xml = archive.read(part)
    except (KeyError, IndexError, StopIteration, etree.XMLSyntaxError, zipfile.BadZipFile, OSError, ValueError):
        return [], [issue(CORRUPT_XLSX)]
    last_row, last_column = _extent(sheet_xml)
    if last_row > HEADER_SEARCH_ROWS + MAX_DATA_ROWS:
        return [], [issue(f"trop de lignes ({MAX_DATA_ROWS} au plus) : partez du fichier téléchargé", last_row)]
    if last_column > MAX_COLUMNS:
        return [], [
            issue(
                f"cellules remplies ou mises en forme jusqu'à la colonne {get_column_letter(last_column)} : "
                "n'ajoutez pas de colonne, partez du fichier téléchargé"
            )
        ]
    try:
        formulas = _formula_cells(sheet_xml)
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        values = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    except Exception:  # calamine raises its own errors, and ValueError or OSError from the archive
        return [], [issue(CORRUPT_XLSX)]
    return _read_sheet(values, formulas, issue)


def _sheet_part(archive: zipfile.ZipFile, title: str) -> tuple[str, str]:
    """The sheet titled `title` (else the first one) as calamine will pick it, and its XML part's path."""
    sheets = _xml(archive.read("xl/workbook.xml")).findall("{*}sheets/{*}sheet")
    sheet = next((candidate for candidate in sheets if candidate.get("name") == title), sheets[0])
    relation = next(value for key, value in sheet.attrib.items() if key.endswith("}id"))
    target = next(
        rel.get("Target", "") for rel in _xml(archive.read("xl/_rels/workbook.xml.rels")) if rel.get("Id") == relation
    )
    path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return sheet.get("name", ""), path


def _xml(content: bytes):
    """A small package part (workbook, relations), parsed without DTD, entities or network."""
    if b"<!DOCTYPE" in content:
        raise ValueError("DTD refusée")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.fromstring(content, parser)


# Cell and row references (r="B12", r="12"). calamine builds a dense grid from the first to the last
# cell, so one stray cell at XFD1048576 would ask for billions of cells: the extent is checked first.
_REFERENCE = re.compile(rb"""\br\s*=\s*["']([A-Z]{0,3})([0-9]{1,7})["']""")
# A formula: the schema puts <f> first in its <c>, right after the cell's start tag.
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def _extent(sheet_xml: bytes) -> tuple[int, int]:
    """(last row, last column or Z) that a reference in the sheet names; a byte scan, no parsing."""
    references = _REFERENCE.findall(sheet_xml)
    if not references:
        return 0, 0
    last_row = max(map(int, map(itemgetter(1), references)))
    wide = {letters.decode() for letters, _ in references if len(letters) > 1}
    return last_row, max(map(column_index_from_string, wide), default=26)  # one letter: column Z at most


def _formula_cells(sheet_xml: bytes) -> set[tuple[int, int]]:
    """(row, column index from 0) of every cell holding a formula.

    python-calamine reads the cached values only; the start tag just before each <f> names the cell.
    A formula cell without a reference (allowed, never written by spreadsheets) is read with lxml.
    """
    cells: set[tuple[int, int]] = set()
    for match in _FORMULA.finditer(sheet_xml):
        start = sheet_xml.rfind(b"<", 0, match.start())
        reference = _REFERENCE.search(sheet_xml, start, match.start())
        if reference is None or not reference.group(1):
            return _formula_cells_parsed(sheet_xml)
        letters, row = reference.groups()
        cells.add((int(row), column_index_from_string(letters.decode()) - 1))
    return cells


def _formula_cells_parsed(sheet_xml: bytes) -> set[tuple[int, int]]:
    """As _formula_cells, positions counted the way spreadsheets do when references are left out."""
    cells: set[tuple[int, int]] = set()
    row_number = 0
    for row in _xml(sheet_xml).iterfind("{*}sheetData/{*}row"):
        row_number = int(row.get("r", row_number + 1))
        column = -1
        for cell in row.iterfind("{*}c"):
            reference = cell.get("r")
            column = column_index_from_string(reference.rstrip("0123456789")) - 1 if reference else column + 1
            if cell.find("{*}f") is not None:
                cells.add((row_number, column))
    return cells


def _read_sheet(
    rows: list[list], formulas: set[tuple[int, int]], issue
) -> tuple[list[UploadedNeed], list[ImportIssue]]:
    """Find the header by its titles, then read every data row below it (rows[0] is Excel's row 1)."""
    issues: list[ImportIssue] = []
    needs: list[UploadedNeed] = []
    seen: dict[str, int] = {}
    positions: dict[str, int] | None = None
    header_row = 0
    for row_number, values in enumerate(rows, start=1):
        if positions is None:
            if row_number > HEADER_SEARCH_ROWS:
                break
            if normal_title(REF) in map(_title, values):
                header_row = row_number
                positions, header_issues = _check_header(values, row_number, issue)
                if header_issues:
                    return [], header_issues
            continue
        need, row_issues = _read_row(row_number, values, positions, formulas, issue)
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


def _title(value) -> str:
    return normal_title(value) if isinstance(value, str) else ""
