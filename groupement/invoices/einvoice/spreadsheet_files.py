"""The rows of the invoice template as cell values, from an .xlsx workbook's first sheet or a
CSV text (UTF-8 or Windows-1252, ';' or ','), bounded before they are read: the archive's
inflated size, MAX_LINES rows after the HEADER_SEARCH_ROWS where the header may be.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile

from groupement.core.files.upload_guard import CORRUPT_XLSX, MAX_UNCOMPRESSED_BYTES, zip_kind
from groupement.invoices.einvoice.common import MAX_LINES, refused
from groupement.invoices.rules import InvoiceRefused

HEADER_SEARCH_ROWS = 20


def looks_like_csv(content: bytes, file_name: str) -> bool:
    if b"\x00" in content[:4096]:
        return False
    if file_name.lower().endswith((".csv", ".txt")):
        return True
    first_line = content[:4096].split(b"\n", 1)[0]
    return b"numero_facture" in column_key(first_line.decode("utf-8", errors="ignore")).encode()


def xlsx_rows(content: bytes, file_name: str) -> list[tuple[int, list]]:
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = set(archive.namelist())
        inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
        raise refused(file_name, CORRUPT_XLSX) from None
    if inflated > MAX_UNCOMPRESSED_BYTES:
        raise refused(file_name, "contenu décompressé trop volumineux : ce fichier n'est pas un modèle de facture")
    if "xl/workbook.xml" not in names:
        raise refused(file_name, zip_kind(archive, names))
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged file
        raise refused(file_name, CORRUPT_XLSX) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
            if number > MAX_LINES + HEADER_SEARCH_ROWS:
                raise refused(file_name, f"trop de lignes ({MAX_LINES} au plus)")
            rows.append((number, list(values)))
        return rows
    except InvoiceRefused:
        raise
    except Exception:
        raise refused(file_name, CORRUPT_XLSX) from None
    finally:
        workbook.close()


def csv_rows(content: bytes, file_name: str) -> list[tuple[int, list]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for values in reader:
            if reader.line_num > MAX_LINES + HEADER_SEARCH_ROWS:
                raise refused(file_name, f"trop de lignes ({MAX_LINES} au plus)")
            rows.append((reader.line_num, list(values)))
    except csv.Error as error:
        raise refused(file_name, f"CSV illisible : {error}", reader.line_num) from None
    return rows


def column_key(title) -> str:
    text = unicodedata.normalize("NFKD", str(title or ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().strip()
    return re.sub(r"[\s\-'’.]+", "_", text).strip("_")
