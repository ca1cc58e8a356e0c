"""A bidder's priced DQE, read back: the very file `tender_xlsx.dqe_workbook` wrote for the lot,
with the unit prices and eco-participations filled in.

Plain data in (the lot as `TenderLot`), plain data out (`OfferWorkbook`): no database here. The
reader trusts nothing of what comes back: the protection of the sheet has no password, so a
bidder may have reordered rows, added or deleted some, typed over a quantity, or put formulas in
the price cells. Lines are matched by their hidden identifier (column LINE_KEY), never by position.
Every problem is reported as an ImportIssue naming the file and the sheet (in `file`: "offre.xlsx,
onglet « DQE lot 2 »"), the real Excel row and the column title; when there is any, the prices
must not be used (the import is all or nothing).

The formulas of the file (line totals, Total HT) carry no computed value when the file was only
written by openpyxl; once a spreadsheet program saved it, they do. The declared Total HT is that
cached value (or a number typed in its place): None when there is none. The application never
trusts it; it recomputes the total (tender_data.dqe_totals) and reports a difference.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

# The checks of an uploaded archive are those of the needs workbook (same messages, same limits).
from groupement.core.files.upload_guard import (
    CORRUPT_XLSX,
    MAX_UNCOMPRESSED_BYTES,
    MAX_UPLOAD_BYTES,
    megabytes,
    not_a_zip,
    zip_kind,
)
from groupement.core.files.xlsx import (
    EURO_FORMAT,
    HEADER_FILL,
    HEADER_FONT,
    INTEGER_FORMAT,
    blank,
    cell_text,
    escape_text,
    normal_title,
)
from groupement.core.imports import ImportIssue
from groupement.core.money import UNIT_PRICE_STEP, exactly, has_at_most, parse_decimal
from groupement.tenders.tender_data import TenderLine, TenderLot
from groupement.tenders.tender_layout import (
    BOLD,
    DESIGNATION,
    DQE_COLUMNS,
    ECO,
    HEADER_ROW,
    LINE_KEY,
    LINE_TOTAL,
    NUMBER,
    QUANTITY,
    REF,
    TITLE_FONT,
    UNIT,
    UNIT_PRICE,
    dqe_sheet_title,
)

MAX_PRICE = Decimal(100_000_000)  # the data validation of the price cells
MAX_DATA_ROWS = 20_000
HEADER_SEARCH_ROWS = 40
TOTAL_LABELS = ("total ht", "tva", "total ttc")
CHECKED_TEXTS = ((REF, "ref"), (DESIGNATION, "designation"), (UNIT, "unit"))
SCORE_FORMAT = "0.00"
ITALIC = Font(italic=True)


@dataclass(frozen=True)
class OfferPrice:
    line_key: str
    row: int  # the Excel row it was read from
    unit_price: Decimal
    eco_participation: Decimal


@dataclass(frozen=True)
class OfferWorkbook:
    prices: dict[str, OfferPrice]  # by line key; complete and usable only when issues is empty
    declared_total_ht: Decimal | None
    issues: list[ImportIssue] = field(default_factory=list)
    sheet: str = ""


def read_offer_workbook(
    content: bytes, file_name: str, lot: TenderLot, max_bytes: int = MAX_UPLOAD_BYTES
) -> OfferWorkbook:
    """The prices of a bidder's DQE for `lot`, its declared Total HT, and every problem found."""
    problem = _archive_problem(content, max_bytes)
    if problem:
        return OfferWorkbook({}, None, [ImportIssue(file_name, None, None, problem)])
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds (KeyError, XML errors, ValueError...)
        return OfferWorkbook({}, None, [ImportIssue(file_name, None, None, CORRUPT_XLSX)])
    try:
        title = _sheet_title(workbook.sheetnames, lot)
        sheet = workbook[title]
        sheet.reset_dimensions()  # the <dimension> tag may be wrong (some tools): read what is there
        reader = _SheetReader(f"{file_name}, onglet « {title} »", lot)
        reader.read(sheet.iter_rows())
    except Exception:
        return OfferWorkbook({}, None, [ImportIssue(file_name, None, None, CORRUPT_XLSX)])
    finally:
        workbook.close()
    declared = reader.declared_total
    if reader.total_is_formula and not reader.issues:
        declared = _cached_total(content, title, reader.total_cell)
    return OfferWorkbook(reader.prices, declared, reader.issues, title)


# --- the archive ----------------------------------------------------------------------------


def _archive_problem(content: bytes, max_bytes: int) -> str | None:
    if len(content) > max_bytes:
        return f"fichier trop volumineux ({megabytes(len(content))} ; {megabytes(max_bytes)} au plus)"
    if not content.strip():
        return "le fichier est vide"
    if not content.startswith(b"PK"):
        return not_a_zip(content)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = set(archive.namelist())
        if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED_BYTES:
            return "contenu décompressé trop volumineux : ce fichier n'est pas un DQE de l'application"
        broken = archive.testzip()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError):
        return CORRUPT_XLSX
    if broken is not None:
        return CORRUPT_XLSX
    if "xl/workbook.xml" not in names:
        return zip_kind(archive, names)
    return None


def _sheet_title(titles: list[str], lot: TenderLot) -> str:
    """The lot's DQE sheet (also found in the all-lots workbook), else the only DQE sheet, else the first."""
    expected = dqe_sheet_title(lot)
    if expected in titles:
        return expected
    dqe_sheets = [title for title in titles if title.startswith("DQE lot ")]
    return dqe_sheets[0] if len(dqe_sheets) == 1 else titles[0]


def _cached_total(content: bytes, title: str, cell: tuple[int, int] | None) -> Decimal | None:
    """The value a spreadsheet program computed for the Total HT formula, if it saved one."""
    if cell is None:
        return None
    row, column = cell
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        for cells in workbook[title].iter_rows(min_row=row, max_row=row, min_col=column, max_col=column):
            value = getattr(cells[0], "value", None) if cells else None
            return _number(value)
        return None
    except Exception:
        return None
    finally:
        workbook.close()


def _number(value) -> Decimal | None:
    if value is None or isinstance(value, bool | str):
        return None
    try:
        return parse_decimal(value)
    except ValueError:
        return None


# --- the sheet ------------------------------------------------------------------------------


class _SheetReader:
    """One pass over the rows: the header, then every line, the total rows, whatever was added."""

    def __init__(self, where: str, lot: TenderLot):
        self.where = where
        self.lot = lot
        self.expected: dict[str, TenderLine] = {line.line_key: line for line in lot.lines}
        self.issues: list[ImportIssue] = []
        self.prices: dict[str, OfferPrice] = {}
        self.foreign: list[tuple[int, str]] = []  # (row, key) of identifiers this lot does not have
        self.seen: dict[str, int] = {}
        self.positions: dict[str, int] | None = None
        self.declared_total: Decimal | None = None
        self.total_is_formula = False
        self.total_cell: tuple[int, int] | None = None

    def issue(self, reason: str, row: int | None = None, column: str | None = None) -> None:
        self.issues.append(ImportIssue(self.where, row, column, reason))

    def read(self, rows: Iterable) -> None:
        header_row = 0
        for row, cells in enumerate(rows, start=1):  # read-only mode yields gaps as empty rows
            if self.positions is None:
                if row > HEADER_SEARCH_ROWS:
                    break
                if normal_title(LINE_KEY) in [_title(cell) for cell in cells]:
                    header_row = row
                    self._header(cells, row)
                    if self.issues:
                        return
                continue
            if row - header_row > MAX_DATA_ROWS:
                self.issues = []
                self.issue(f"trop de lignes ({MAX_DATA_ROWS} au plus) : partez du DQE téléchargé", row)
                return
            self._row(cells, row)
        if self.positions is None:
            self.issue(
                f"en-tête du DQE introuvable (ligne {HEADER_ROW} attendue, avec la colonne masquée « {LINE_KEY} ») : "
                "partez du fichier DQE du lot, sans en retirer de colonne"
            )
            return
        self._finish()

    def _header(self, cells, row: int) -> None:
        expected = {normal_title(title): title for title in DQE_COLUMNS}
        positions: dict[str, int] = {}
        for index, cell in enumerate(cells):
            value = _value(cell)
            if blank(value):
                continue
            title = expected.get(_title(cell))
            if title is None:
                written = " ".join(str(value).split())[:60]
                self.issue("colonne inattendue : n'ajoutez pas de colonne au DQE", row, written)
            elif title in positions:
                self.issue("colonne en double dans l'en-tête", row, title)
            else:
                positions[title] = index
        for title in DQE_COLUMNS:
            if title not in positions:
                self.issue("colonne absente de l'en-tête : ne supprimez ni ne renommez de colonne", row, title)
        self.positions = positions

    def _cell(self, cells, title: str):
        index = self.positions[title]
        return cells[index] if index < len(cells) else None

    def _row(self, cells, row: int) -> None:
        key = cell_text(_value(self._cell(cells, LINE_KEY)))
        label = normal_title(cell_text(_value(self._cell(cells, NUMBER))))
        if not key and label in TOTAL_LABELS:
            if label == TOTAL_LABELS[0] and self.total_cell is None:
                self._total(self._cell(cells, LINE_TOTAL), row)
            return
        if not key:
            if any(not blank(_value(cell)) for cell in cells):
                self.issue(
                    "ligne ajoutée (sans identifiant) : n'ajoutez aucune ligne au DQE, chiffrez uniquement les "
                    "lignes existantes",
                    row,
                    LINE_KEY,
                )
            return
        line = self.expected.get(key)
        if line is None:
            self.foreign.append((row, key))
            return
        if key in self.seen:
            self.issue(f"ligne en double (identifiant « {key} » déjà lu ligne {self.seen[key]})", row, LINE_KEY)
            return
        self.seen[key] = row
        before = len(self.issues)
        self._check_line(cells, row, line)
        unit_price = self._price(cells, row, UNIT_PRICE, required=True)
        eco = self._price(cells, row, ECO, required=False)
        if len(self.issues) == before and unit_price is not None and eco is not None:
            self.prices[key] = OfferPrice(key, row, unit_price, eco)

    def _check_line(self, cells, row: int, line: TenderLine) -> None:
        for title, attribute in CHECKED_TEXTS:
            written = _spaces(cell_text(_value(self._cell(cells, title))))
            expected = _spaces(_clean(getattr(line, attribute)))
            if written != expected:
                self.issue(
                    f"{title.lower()} modifiée : « {_short(written)} » au lieu de « {_short(expected)} » "
                    f"(ligne n° {line.number})",
                    row,
                    title,
                )
        quantity_cell = self._cell(cells, QUANTITY)
        written = _value(quantity_cell)
        quantity = None if _is_formula(quantity_cell) else _number(written)
        if quantity != line.quantity:
            shown = "vide" if blank(written) else _short(cell_text(written))
            self.issue(
                f"quantité modifiée : {shown} au lieu de {line.quantity} (ligne n° {line.number}) ; "
                "les quantités du DQE ne se modifient pas",
                row,
                QUANTITY,
            )

    def _price(self, cells, row: int, title: str, required: bool) -> Decimal | None:
        cell = self._cell(cells, title)
        if _is_formula(cell):
            self.issue("formule interdite dans une cellule de prix : saisissez le montant lui-même", row, title)
            return None
        value = _value(cell)
        if blank(value):
            if required:
                self.issue("prix unitaire HT manquant : chiffrez chaque ligne du DQE", row, title)
                return None
            return Decimal(0)  # no eco-participation: « 0 si sans objet »
        try:
            if isinstance(value, bool):
                raise ValueError
            amount = parse_decimal(value)
        except ValueError:
            self.issue(f"« {_short(cell_text(value))} » n'est pas un montant en euros", row, title)
            return None
        if amount < 0:
            self.issue(f"montant négatif ({cell_text(value)}) : un prix est positif ou nul", row, title)
            return None
        if amount > MAX_PRICE:
            self.issue("montant trop élevé (100 000 000 € au plus)", row, title)
            return None
        if not has_at_most(amount, UNIT_PRICE_STEP):
            self.issue(f"{cell_text(value)} : 4 décimales au plus", row, title)
            return None
        return exactly(amount, UNIT_PRICE_STEP)

    def _total(self, cell, row: int) -> None:
        self.total_cell = (row, self.positions[LINE_TOTAL] + 1)
        if _is_formula(cell):
            self.total_is_formula = True
        else:
            self.declared_total = _number(_value(cell))

    def _finish(self) -> None:
        if self.foreign and not self.seen:
            row, key = self.foreign[0]
            self.issues = []
            self.issue(
                f"ce fichier n'est pas le DQE du lot n° {self.lot.number} « {self.lot.title} » : aucun de ses "
                f"identifiants de ligne (« {key} »…) n'appartient à ce lot. Importez le DQE de ce lot, "
                "téléchargé depuis l'application",
                row,
                LINE_KEY,
            )
            self.prices = {}
            return
        for row, key in self.foreign:
            self.issue(f"ligne en trop : l'identifiant « {key} » n'appartient pas à ce lot", row, LINE_KEY)
        for line in self.lot.lines:
            if line.line_key not in self.seen:
                self.issue(
                    f"ligne absente : n° {line.number}, {line.ref} « {_short(_clean(line.designation))} » "
                    f"(identifiant « {line.line_key} »)",
                    None,
                    LINE_KEY,
                )
        if not self.seen and not self.issues:
            self.issue("aucune ligne sous l'en-tête du DQE")


# --- cells ----------------------------------------------------------------------------------


def _value(cell):
    return None if cell is None else getattr(cell, "value", None)


def _title(cell) -> str:
    value = _value(cell)
    return normal_title(value) if isinstance(value, str) else ""


def _is_formula(cell) -> bool:
    if cell is None:
        return False
    if getattr(cell, "data_type", None) == "f":
        return True
    value = getattr(cell, "value", None)
    return isinstance(value, str) and value.startswith("=")


def _clean(text: str) -> str:
    """As the writer put it: without the control characters an xlsx file cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _spaces(text: str) -> str:
    return " ".join(text.split())


def _short(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


# --- the analysis report ----------------------------------------------------------------------

ANALYSIS_COLUMNS = (
    ("Rang", 7, INTEGER_FORMAT),
    ("Fournisseur", 32, None),
    ("Variante", 9, None),
    ("Total DQE HT recalculé", 17, EURO_FORMAT),
    ("Total HT déclaré", 16, EURO_FORMAT),
    ("Note prix", 10, SCORE_FORMAT),
    ("Note technique", 11, SCORE_FORMAT),
    ("Note environnementale", 14, SCORE_FORMAT),
    ("Total pondéré", 11, SCORE_FORMAT),
    ("Offre anormalement basse", 14, None),
    ("Justification de la note technique", 50, None),
    ("Justification de la note environnementale", 50, None),
)


@dataclass(frozen=True)
class AnalysisSheet:
    title: str
    facts: list[tuple[str, object]]  # (label, text, number or Decimal amount)
    method: list[str]
    rows: list[tuple]  # one per offer, in ANALYSIS_COLUMNS order, best first


def analysis_workbook(report: AnalysisSheet) -> bytes:
    """The rapport d'analyse des offres: title, facts, the ranking table, then the method."""
    workbook = Workbook(write_only=True)
    workbook.properties.title = _clean(report.title)[:200]
    workbook.properties.creator = "groupement"
    sheet = workbook.create_sheet("Analyse des offres")
    for index, (_, width, _) in enumerate(ANALYSIS_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append([_styled(sheet, report.title, font=TITLE_FONT)])
    sheet.append([])
    for label, value in report.facts:
        number_format = EURO_FORMAT if isinstance(value, Decimal) and "HT" in label else None
        sheet.append([_styled(sheet, label, font=BOLD), None, None, _styled(sheet, value, number_format)])
    sheet.append([])
    header_row = len(report.facts) + 4
    sheet.append(
        [_styled(sheet, title, font=HEADER_FONT, fill=HEADER_FILL, wrap=True) for title, _, _ in ANALYSIS_COLUMNS]
    )
    for row in report.rows:
        sheet.append(
            [
                _styled(sheet, value, fmt, wrap=fmt is None)
                for value, (_, _, fmt) in zip(row, ANALYSIS_COLUMNS, strict=True)
            ]
        )
    if not report.rows:
        sheet.append([_styled(sheet, "Aucune offre enregistrée.", font=ITALIC)])
    sheet.append([])
    sheet.append([_styled(sheet, "Méthode de notation", font=BOLD)])
    for sentence in report.method:
        sheet.append([_styled(sheet, sentence)])
    sheet.freeze_panes = None
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _styled(sheet, value, number_format: str | None = None, font=None, fill=None, wrap: bool = False):
    if isinstance(value, str):
        value = escape_text(_clean(value))
    cell = WriteOnlyCell(sheet, value=value)
    if number_format and value is not None:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


__all__ = ["AnalysisSheet", "OfferPrice", "OfferWorkbook", "analysis_workbook", "read_offer_workbook"]
