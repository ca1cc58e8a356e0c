"""Reading the CSV files people send: UTF-8 (with or without BOM), or (invoices) Windows-1252 when
the file is plainly that; ';' or ',' separated; bounded in rows, fields per row and field length.

The encoding rule (decode_csv): a file that is valid UTF-8 is read as UTF-8. A file holding valid
UTF-8 sequences and one bad byte is a UTF-8 file damaged somewhere: it is refused, naming the line
and the byte, rather than read wholly as Windows-1252 (which would turn every "é" of it into "Ã©"
without a word). Only a file with no UTF-8 sequence at all, whose other bytes are all letters or
the usual marks of a French Windows-1252 text (é, à, ç, €, ’, «, °...), is read as Windows-1252:
what Excel writes on a French Windows with « CSV (séparateur : point-virgule) ».
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence

from groupement.core.files.upload_guard import CATALOG_CSV, CsvLimits, UploadRefused, megabytes
from groupement.core.formatting import number
from groupement.core.imports import ImportIssue, RawRow

_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_CP1252_MARKS = set("€‚„…‘’“”•–—«»°·²³µ§ºª\xa0¡¿×÷©®™œŒ")
SAVE_AS_UTF8 = "enregistrez le fichier au format « CSV UTF-8 (délimité par des points-virgules) »"


def decode_csv(content: bytes, windows_1252: bool = True) -> str:
    """The text of a CSV file, per the rule above; UploadRefused naming the line and byte otherwise.

    `windows_1252=False`: UTF-8 only (the catalog, whose files come from the coordinators' tools).
    """
    if content.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in content[:4096]:
        raise UploadRefused(f"encodage UTF-16 non accepté : {SAVE_AS_UTF8}")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        bad = error
    if not windows_1252:
        raise _bad_byte(content, bad.start, "n'est pas de l'UTF-8 valide")
    if content.startswith(b"\xef\xbb\xbf") or _UTF8_SEQUENCE.search(content):
        raise _bad_byte(content, bad.start, "n'est pas de l'UTF-8 valide (le reste du fichier est en UTF-8)")
    text = content.decode("cp1252", errors="replace")
    for index, char in enumerate(text):
        if char >= "\x80" and not (char.isalpha() or char in _CP1252_MARKS):
            raise _bad_byte(content, index, "n'est ni de l'UTF-8 ni un caractère Windows-1252 usuel")
    return text


def _bad_byte(content: bytes, offset: int, what: str) -> UploadRefused:
    line_start = content.rfind(b"\n", 0, offset) + 1
    line = content.count(b"\n", 0, offset) + 1  # the refusal's row: "ligne 3 : …"
    position = offset - line_start + 1
    nth = "1er" if position == 1 else f"{number(position)}e"
    return UploadRefused(
        f"encodage non reconnu : le {nth} octet de la ligne (0x{content[offset]:02X}) {what} ; {SAVE_AS_UTF8}",
        line,
    )


def delimiter_of(text: str) -> str:
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    return ";" if first_line.count(";") >= first_line.count(",") else ","


def check_size(content: bytes, limits: CsvLimits) -> None:
    if len(content) > limits.max_bytes:
        raise UploadRefused(
            f"fichier trop volumineux ({megabytes(len(content))} ; {megabytes(limits.max_bytes)} au plus)"
        )


def csv_records(text: str, delimiter: str, limits: CsvLimits) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each record, within `limits`; UploadRefused at the first excess."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = 0
    try:
        for values in reader:
            line = reader.line_num
            records += 1
            if records > limits.max_rows:
                raise UploadRefused(f"trop de lignes ({number(limits.max_rows)} au plus)", line)
            if len(values) > limits.max_columns:
                raise UploadRefused(
                    f"{number(len(values))} champs sur une ligne ; au plus {number(limits.max_columns)} "
                    f"(séparateur « {delimiter} »)",
                    line,
                )
            for value in values:
                if len(value) > limits.max_field_chars:
                    raise UploadRefused(
                        f"un champ de {number(len(value))} caractères ; au plus {number(limits.max_field_chars)}",
                        line,
                    )
            yield line, values
    except csv.Error as error:
        reason = str(error)
        if "field larger than field limit" in reason:
            reason = f"un champ de plus de {number(csv.field_size_limit())} caractères"
        raise UploadRefused(f"CSV illisible : {reason}", reader.line_num) from None


def read_table(
    content: bytes, file_name: str, expected_columns: Sequence[str], limits: CsvLimits = CATALOG_CSV
) -> tuple[list[RawRow], list[ImportIssue]]:
    """Rows keyed by column name; issues for the encoding, the bounds, the header and ragged rows."""
    if not content.strip():
        return [], [ImportIssue(file_name, None, None, "le fichier est vide")]
    try:
        check_size(content, limits)
        return _read_table(decode_csv(content, windows_1252=False), file_name, expected_columns, limits)
    except UploadRefused as refusal:
        return [], [ImportIssue(file_name, refusal.row, None, refusal.reason)]


def _read_table(
    text: str, file_name: str, expected_columns: Sequence[str], limits: CsvLimits
) -> tuple[list[RawRow], list[ImportIssue]]:
    if not text.strip():  # a byte-order mark alone, or blanks after it
        return [], [ImportIssue(file_name, None, None, "le fichier est vide")]
    delimiter = delimiter_of(text)
    records = csv_records(text, delimiter, limits)
    header = [name.strip().lower() for name in next(records)[1]]
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
    for line, values in records:
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
