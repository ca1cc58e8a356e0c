"""The rows of the invoice template as cell values, from an .xlsx workbook's first sheet or a
CSV text (UTF-8 or Windows-1252, ';' or ','), bounded before they are read: the workbook measured
by core.files.xlsx_guard (upload_guard.INVOICE_XLSX), the CSV by upload_guard.INVOICE_CSV, and
MAX_LINES rows after the HEADER_SEARCH_ROWS where the header may be.
"""

from __future__ import annotations

import io
import re
import unicodedata

from groupement.core.files.csv_files import check_size, csv_records, decode_csv, delimiter_of
from groupement.core.files.upload_guard import CORRUPT_XLSX, INVOICE_CSV, INVOICE_XLSX, UploadRefused
from groupement.core.files.xlsx_guard import check_xlsx
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
        check_xlsx(content, INVOICE_XLSX)  # bounded before openpyxl reads anything
    except UploadRefused as refusal:
        raise refused(file_name, refusal.reason, refusal.row) from None
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
    """The records of a CSV invoice: UTF-8, or plainly Windows-1252 (core.files.csv_files.decode_csv)."""
    try:
        check_size(content, INVOICE_CSV)
        text = decode_csv(content)
        return [(line, values) for line, values in csv_records(text, delimiter_of(text), INVOICE_CSV)]
    except UploadRefused as refusal:
        raise refused(file_name, refusal.reason, refusal.row) from None


def column_key(title) -> str:
    text = unicodedata.normalize("NFKD", str(title or ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().strip()
    return re.sub(r"[\s\-'’.]+", "_", text).strip("_")
