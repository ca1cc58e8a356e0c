"""What every uploaded spreadsheet goes through before any parsing: size limits, the kind of
file it really is (an image, a PDF, an old .xls, an .ods renamed .xlsx), and the French words
that tell the user why it is refused. Shared by the needs, offer and invoice readers."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024  # a 10 Mo zip that inflates beyond this is a bomb
EXCEL_CELL_CHARS = 32_767  # Excel's own limit for the text of one cell


class UploadRefused(Exception):
    """A file refused before it is parsed: `reason` is French; `row` the line or Excel row when there is one."""

    def __init__(self, reason: str, row: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.row = row


@dataclass(frozen=True)
class SpreadsheetLimits:
    """What an uploaded workbook of one kind may hold, checked by xlsx_guard before any reader runs."""

    kind: str  # "un export de l'application": ends the refusals ("ce fichier n'est pas …")
    hint: str  # what to do instead, after a refusal of the sheet's extent
    max_rows: int  # the last row any reference may name
    max_columns: int  # the last column (A is 1)
    max_cells: int  # cells written, all sheets together
    max_sheets: int
    max_text_chars: int  # the text the grid would hold, a shared string counted once per cell using it
    max_string_chars: int = EXCEL_CELL_CHARS
    max_sheet_bytes: int = 60 * 1024 * 1024  # a worksheet or the shared strings, inflated
    max_other_part_bytes: int = 10 * 1024 * 1024  # styles, workbook, relations, drawings...
    max_total_bytes: int = MAX_UNCOMPRESSED_BYTES
    max_parts: int = 1_000
    # Elements of a part other than a sheet: openpyxl makes an object of each style (450 000 empty
    # <xf/> are 8 Ko zipped and cost it 8 s and 300 Mo); Excel itself stops at 64 000 cell formats.
    max_part_elements: int = 100_000
    seconds: float = 5.0  # the check is linear; a file that takes longer is refused


@dataclass(frozen=True)
class CsvLimits:
    max_rows: int
    max_columns: int
    max_field_chars: int = EXCEL_CELL_CHARS
    max_bytes: int = MAX_UPLOAD_BYTES


# The limits of every kind of uploaded file, in one place. The needs export holds the commune's
# grid (campaigns.needs_sheet: HEADER_SEARCH_ROWS + MAX_DATA_ROWS rows, nine columns and a few notes
# beside them, MAX_COLUMNS); tests/unit/test_crafted_uploads.py checks that these stay above them.
NEEDS_XLSX = SpreadsheetLimits(
    kind="un export de l'application",
    hint="n'ajoutez ni ligne ni colonne au tableau, partez du fichier téléchargé",
    max_rows=20_040,
    max_columns=100,
    max_cells=400_000,
    max_sheets=20,
    max_text_chars=20_000_000,
)
# A bidder's DQE: one sheet per lot in the all-lots workbook, a few thousand lines each.
OFFER_XLSX = SpreadsheetLimits(
    kind="un DQE de l'application",
    hint="partez du DQE téléchargé depuis la consultation",
    max_rows=10_000,
    max_columns=40,
    max_cells=500_000,
    max_sheets=300,
    max_text_chars=40_000_000,
    seconds=10.0,
)
# The invoice template (invoices.einvoice): MAX_LINES (5 000) lines under at most 20 rows of header.
INVOICE_XLSX = SpreadsheetLimits(
    kind="un modèle de facture",
    hint="une facture tient en 5 000 lignes au plus sur les colonnes du modèle",
    max_rows=5_020,
    max_columns=40,
    max_cells=150_000,
    max_sheets=20,
    max_text_chars=10_000_000,
)
CATALOG_CSV = CsvLimits(max_rows=50_000, max_columns=30)
INVOICE_CSV = CsvLimits(max_rows=5_020, max_columns=40)


def megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{-(-size // 1024)} Ko"
    return f"{size / (1024 * 1024):.1f} Mo".replace(".", ",").replace(",0 Mo", " Mo")


CORRUPT_XLSX = (
    "fichier .xlsx endommagé ou illisible : rouvrez-le dans Excel, enregistrez-le au format "
    "« Classeur Excel (.xlsx) » et déposez-le à nouveau"
)

SIGNATURES = (
    (b"\x89PNG", "une image PNG"),
    (b"\xff\xd8\xff", "une image JPEG"),
    (b"GIF8", "une image GIF"),
    (b"BM", "une image BMP"),
    (b"II*\x00", "une image TIFF"),
    (b"MM\x00*", "une image TIFF"),
    (b"RIFF", "une image ou un média (RIFF)"),
    (b"%PDF", "un document PDF"),
)


def not_a_zip(content: bytes) -> str:
    """Why bytes that are not a zip archive are not an .xlsx, in words the agent understands."""
    for signature, kind in SIGNATURES:
        if content.startswith(signature):
            return f"ce fichier est {kind}, pas un classeur Excel .xlsx"
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        return (
            "ancien format Excel (.xls) ou classeur protégé par un mot de passe : enregistrez-le au format "
            "« Classeur Excel (.xlsx) » sans mot de passe"
        )
    head = content[:4096]
    if looks_like_text(head):
        if head.lstrip().startswith((b"<", b"\xef\xbb\xbf<")):
            return "ce fichier est une page web ou un fichier XML renommé en .xlsx, pas un classeur Excel"
        return (
            "ce fichier est un texte (CSV ?) renommé en .xlsx, pas un classeur Excel : ouvrez-le dans Excel "
            "puis enregistrez-le au format « Classeur Excel (.xlsx) »"
        )
    return "ce fichier n'est pas un classeur Excel .xlsx"


def looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "cp1252"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
        return printable >= 0.95 * len(text)
    return False


def zip_kind(archive: zipfile.ZipFile, names: set[str]) -> str:
    if "mimetype" in names:
        mimetype = archive.read("mimetype")[:100]
        if b"opendocument.spreadsheet" in mimetype:
            return (
                "classeur OpenDocument (.ods) : dans LibreOffice, enregistrez-le au format « Excel 2007-365 (.xlsx) »"
            )
    if "word/document.xml" in names:
        return "ce fichier est un document Word, pas un classeur Excel .xlsx"
    return "archive ZIP qui n'est pas un classeur Excel .xlsx"
