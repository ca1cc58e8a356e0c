"""The rapport d'analyse des offres as a spreadsheet: title, facts, the ranking table, the method."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from groupement.core.files.xlsx import (
    EURO_FORMAT,
    HEADER_FILL,
    HEADER_FONT,
    INTEGER_FORMAT,
    UNIT_PRICE_FORMAT,
    escape_text,
)
from groupement.tenders.offer_sheet import clean
from groupement.tenders.tender_layout import BOLD, TITLE_FONT

SCORE_FORMAT = "0.00"
ITALIC = Font(italic=True)


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


@dataclass(frozen=True)
class PriceComparison:
    """The offers' unit prices line by line: ref, designation, unit, quantity, estimate, then one
    price per offer (None: not priced), and each offer's total."""

    offer_names: list[str]
    rows: list[tuple]
    totals: list[Decimal]


COMPARISON_COLUMNS = (
    ("Référence", 14, None),
    ("Désignation", 40, None),
    ("Unité", 9, None),
    ("Quantité", 10, INTEGER_FORMAT),
    ("Prix unitaire estimé HT", 14, UNIT_PRICE_FORMAT),
)


def analysis_workbook(report: AnalysisSheet, comparison: PriceComparison | None = None) -> bytes:
    """The rapport d'analyse des offres: title, facts, the ranking table, then the method; with a
    comparison, a second sheet of the offers' unit prices line by line."""
    workbook = Workbook(write_only=True)
    workbook.properties.title = clean(report.title)[:200]
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
    if comparison is not None:
        _comparison_sheet(workbook, comparison)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _comparison_sheet(workbook, comparison: PriceComparison) -> None:
    sheet = workbook.create_sheet("Comparaison des prix")
    columns = [*COMPARISON_COLUMNS, *((f"{name} (PU HT)", 16, UNIT_PRICE_FORMAT) for name in comparison.offer_names)]
    for index, (_, width, _) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append([_styled(sheet, title, font=HEADER_FONT, fill=HEADER_FILL, wrap=True) for title, _, _ in columns])
    for row in comparison.rows:
        sheet.append(
            [
                _styled(sheet, "non chiffré" if value is None and index >= len(COMPARISON_COLUMNS) else value, fmt)
                for index, (value, (_, _, fmt)) in enumerate(zip(row, columns, strict=True))
            ]
        )
    sheet.append(
        [
            _styled(sheet, "Total DQE HT", font=BOLD),
            *([None] * (len(COMPARISON_COLUMNS) - 1)),
            *(_styled(sheet, total, EURO_FORMAT, font=BOLD) for total in comparison.totals),
        ]
    )
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"


def _styled(sheet, value, number_format: str | None = None, font=None, fill=None, wrap: bool = False):
    if isinstance(value, str):
        value = escape_text(clean(value))
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


__all__ = ["AnalysisSheet", "PriceComparison", "analysis_workbook"]
