"""Index values (indices de révision) from a .csv or .xlsx file: columns « indice », « mois »
(MM/AAAA), « valeur ». Every problem is listed with the file, row and column; on any problem
nothing is used (the import is all or nothing). Bytes in, plain data out."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from python_calamine import CalamineWorkbook

from groupement.contracts.revision_rules import RevisionRefused, parse_index_code, parse_index_value, parse_month
from groupement.core.files.csv_files import read_table
from groupement.core.files.upload_guard import CORRUPT_XLSX, CsvLimits, SpreadsheetLimits
from groupement.core.files.xlsx import blank, cell_text
from groupement.core.files.xlsx_guard import UploadRefused, check_xlsx
from groupement.core.imports import ImportIssue

COLUMNS = ("indice", "mois", "valeur")
MAX_ROWS = 2_000
INDEX_CSV = CsvLimits(max_rows=MAX_ROWS + 1, max_columns=10, max_field_chars=200, max_bytes=1024 * 1024)
INDEX_XLSX = SpreadsheetLimits(
    kind="un tableau d'indices",
    hint="une feuille, trois colonnes « indice », « mois », « valeur », une ligne par indice et par mois",
    max_rows=MAX_ROWS + 1,
    max_columns=10,
    max_cells=30_000,
    max_sheets=5,
    max_text_chars=400_000,
)


@dataclass(frozen=True)
class IndexRow:
    line: int
    code: str
    month: date
    value: Decimal


def read_index_file(content: bytes, file_name: str) -> tuple[list[IndexRow], list[ImportIssue]]:
    if file_name.lower().endswith(".xlsx"):
        table, issues = _xlsx_table(content, file_name)
    else:
        raw, issues = read_table(content, file_name, COLUMNS, INDEX_CSV)
        table = [(row.line, [row.values.get(column, "") for column in COLUMNS]) for row in raw]
    if issues:
        return [], issues
    rows: list[IndexRow] = []
    seen: dict[tuple[str, date], int] = {}
    for line, (code_text, month_text, value_text) in table:
        parsed = []
        for column, parse, text in zip(
            COLUMNS,
            (parse_index_code, parse_month, parse_index_value),
            (code_text, month_text, value_text),
            strict=True,
        ):
            try:
                parsed.append(parse(text, column))
            except RevisionRefused as error:
                issues.append(ImportIssue(file_name, line, column, str(error).split(" : ", 1)[-1]))
        if len(parsed) == 3:
            key = (parsed[0], parsed[1])
            if key in seen:
                issues.append(
                    ImportIssue(file_name, line, "mois", f"{parsed[0]} de {parsed[1]:%m/%Y} déjà en ligne {seen[key]}")
                )
            seen.setdefault(key, line)
            rows.append(IndexRow(line, *parsed))
    if not rows and not issues:
        issues.append(ImportIssue(file_name, None, None, "aucune valeur d'indice dans le fichier"))
    return ([] if issues else rows), issues


def _xlsx_table(content: bytes, file_name: str) -> tuple[list[tuple[int, list[str]]], list[ImportIssue]]:
    try:
        shape = check_xlsx(content, INDEX_XLSX, INDEX_CSV.max_bytes)
        sheet = shape.sheets[0]
        values = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_name(sheet.name).to_python()
    except UploadRefused as refusal:
        return [], [ImportIssue(file_name, refusal.row, None, refusal.reason)]
    except Exception:  # calamine raises its own errors, and ValueError or OSError from the archive
        return [], [ImportIssue(file_name, None, None, CORRUPT_XLSX)]
    if not values:
        return [], [ImportIssue(file_name, None, None, "le fichier est vide")]
    header = [cell_text(v).strip().lower() for v in values[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [], [ImportIssue(file_name, 1, c, "colonne obligatoire absente de l'en-tête") for c in missing]
    positions = [header.index(c) for c in COLUMNS]
    table = []
    for number, row in enumerate(values[1:], start=2):
        cells = [row[p] if p < len(row) else None for p in positions]
        if all(blank(c) for c in cells):
            continue
        table.append((number, [_text(c) for c in cells]))
    return table, []


def _text(value) -> str:
    if isinstance(value, date):
        return f"{value:%m/%Y}"
    if isinstance(value, float):
        return str(Decimal(str(value)))
    return cell_text(value)
