"""Reading the CSV files people send: UTF-8 (with or without BOM), ';' or ',' separated."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from groupement.core.imports import ImportIssue, RawRow


def read_table(
    content: bytes, file_name: str, expected_columns: Sequence[str]
) -> tuple[list[RawRow], list[ImportIssue]]:
    """Rows keyed by column name; issues for the encoding, the header and ragged rows."""
    if not content.strip():
        return [], [ImportIssue(file_name, None, None, "le fichier est vide")]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        return [], [
            ImportIssue(
                file_name,
                line,
                None,
                "encodage non reconnu : enregistrez le fichier en CSV UTF-8 "
                f"(octet 0x{content[error.start]:02x} invalide)",
            )
        ]
    if not text.strip():  # a byte-order mark alone, or blanks after it
        return [], [ImportIssue(file_name, None, None, "le fichier est vide")]
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader)]
    issues = [
        ImportIssue(file_name, 1, column, "colonne obligatoire absente de l'en-tête")
        for column in expected_columns
        if column not in header
    ]
    issues += [
        ImportIssue(file_name, 1, column or "(sans nom)", "colonne inattendue")
        for column in header
        if column not in expected_columns
    ]
    if len(set(header)) != len(header):
        issues.append(ImportIssue(file_name, 1, None, "une colonne est en double dans l'en-tête"))
    if issues:
        return [], issues
    rows: list[RawRow] = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            issues.append(
                ImportIssue(
                    file_name,
                    line,
                    None,
                    f"{len(values)} champs au lieu de {len(header)} (séparateur « {delimiter} »)",
                )
            )
            continue
        rows.append(RawRow(file_name, line, dict(zip(header, values, strict=True))))
    if not rows and not issues:
        issues.append(ImportIssue(file_name, None, None, "aucune ligne de données après l'en-tête"))
    return rows, issues
