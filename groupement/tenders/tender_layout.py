"""The tender workbooks' layout: column titles, widths, rows, texts and named cell styles."""

from __future__ import annotations

from openpyxl.styles import Font

from groupement.core.files.xlsx import BLUE, EURO_FORMAT, INTEGER_FORMAT, UNIT_PRICE_FORMAT
from groupement.tenders.tender_data import TenderLot

# --- layout -----------------------------------------------------------------------------------

NUMBER = "N°"
REF = "Référence"
DESIGNATION = "Désignation"
UNIT = "Unité"
CPV = "Code CPV"
QUANTITY = "Quantité estimée"
UNIT_PRICE = "Prix unitaire HT"
ECO = "Éco-participation HT"
LINE_TOTAL = "Total HT"
VAT_RATE = "TVA (%)"
LINE_KEY = "Identifiant de ligne (ne pas modifier)"

DQE_COLUMNS = (NUMBER, REF, DESIGNATION, UNIT, CPV, QUANTITY, UNIT_PRICE, ECO, LINE_TOTAL, VAT_RATE, LINE_KEY)
BPU_COLUMNS = (NUMBER, REF, DESIGNATION, UNIT, CPV, UNIT_PRICE, ECO, VAT_RATE, LINE_KEY)
PRICE_COLUMNS = (UNIT_PRICE, ECO)  # the only cells a bidder may fill in
HIDDEN_COLUMNS = (LINE_KEY,)
WIDTHS = {
    NUMBER: 6,
    REF: 16,
    DESIGNATION: 50,
    UNIT: 11,
    CPV: 13,
    QUANTITY: 12,
    UNIT_PRICE: 16,
    ECO: 15,
    LINE_TOTAL: 17,
    VAT_RATE: 8,
    LINE_KEY: 20,
}

# The header block takes rows 1 to 5, row 6 is blank, the table header is row 7 (DQE and BPU).
HEADER_ROW = 7
FIRST_LINE_ROW = HEADER_ROW + 1
SUMMARY_SHEET = "Synthèse"
VAT_FORMAT = '0.0#\\ "%"'

INSTRUCTIONS = (
    "Renseignez uniquement les cellules jaunes : le prix unitaire HT et l'éco-participation HT (0 si sans objet), "
    "en euros, 4 décimales au plus. Les totaux se calculent d'eux-mêmes. Ne modifiez ni n'ajoutez aucune ligne ou "
    "colonne : l'identifiant de chaque ligne (colonne masquée) permet de relire votre offre."
)
BPU_INSTRUCTIONS = (
    "Renseignez uniquement les cellules jaunes : le prix unitaire HT et l'éco-participation HT (0 si sans objet), "
    "en euros, 4 décimales au plus. Ne modifiez ni n'ajoutez aucune ligne ou colonne."
)
ESTIMATE_NOTE = (
    "Montants estimés à partir des prix unitaires estimés par le coordonnateur du groupement ; "
    "les prix définitifs résulteront de la mise en concurrence."
)

# The openpyxl fonts of the offer analysis workbook (offer_analysis_xlsx).
TITLE_FONT = Font(bold=True, size=14, color=BLUE)
BOLD = Font(bold=True)
SECTION_COLOR, TOTAL_COLOR, EDITABLE_COLOR, BOX_COLOR = "E3E3FD", "EEEEEE", "FFF4C2", "BBBBBB"

# Cells are styled through named formats (XlsxWriter format properties, one format object per name
# and workbook): each cell refers to its format's index.
TITLE, INFO, TEXT, NOTE = "Titre du document", "Information", "Texte", "Remarque"
HEADER, CELL, LONG_TEXT = "En-tête de tableau", "Cellule", "Cellule texte long"
QTY, QTY_TOTAL, RATE = "Quantité", "Quantité totale", "Taux de TVA"
PRICE_INPUT, PRICE, AMOUNT = "Prix à saisir", "Prix unitaire", "Montant"
SECTION, TOTAL_LABEL, TOTAL_BLANK, TOTAL_AMOUNT, TOTAL_QTY = (
    "Titre de lot",
    "Libellé de total",
    "Fond de total",
    "Montant total",
    "Quantité de total",
)
GRAND_LABEL, GRAND_AMOUNT = "Libellé du total général", "Total général"
_BOX = {"border": 1, "border_color": f"#{BOX_COLOR}"}
_TOP = {"valign": "top"}
_WRAP = {"text_wrap": True, "valign": "top"}
_BOLD = {"bold": True}
_RIGHT = {"align": "right", "valign": "vcenter"}
_TOTAL = {"bold": True, "pattern": 1, "fg_color": f"#{TOTAL_COLOR}", **_BOX}
_BIG = {"bold": True, "font_size": 12}
STYLES: dict[str, dict[str, object]] = {
    TITLE: {"bold": True, "font_size": 14, "font_color": f"#{BLUE}", **_WRAP},
    INFO: {**_BOLD, **_WRAP},
    TEXT: _WRAP,
    NOTE: {"italic": True},
    HEADER: {
        "bold": True,
        "font_color": "#FFFFFF",
        "pattern": 1,
        "fg_color": f"#{BLUE}",
        "text_wrap": True,
        "valign": "vcenter",
        "align": "center",
        **_BOX,
    },
    CELL: {**_BOX, **_TOP},
    LONG_TEXT: {**_BOX, **_WRAP},
    QTY: {**_BOX, **_TOP, "num_format": INTEGER_FORMAT},
    QTY_TOTAL: {**_BOX, **_TOP, "num_format": INTEGER_FORMAT, **_BOLD},
    RATE: {**_BOX, **_TOP, "num_format": VAT_FORMAT},
    PRICE_INPUT: {
        **_BOX,
        **_TOP,
        "num_format": UNIT_PRICE_FORMAT,
        "pattern": 1,
        "fg_color": f"#{EDITABLE_COLOR}",
        "locked": False,
    },
    PRICE: {**_BOX, **_TOP, "num_format": UNIT_PRICE_FORMAT},
    AMOUNT: {**_BOX, **_TOP, "num_format": EURO_FORMAT},
    SECTION: {**_BOLD, "pattern": 1, "fg_color": f"#{SECTION_COLOR}", **_BOX},
    TOTAL_LABEL: {**_TOTAL, **_RIGHT},
    TOTAL_BLANK: {"pattern": 1, "fg_color": f"#{TOTAL_COLOR}", **_BOX},
    TOTAL_AMOUNT: {**_TOTAL, "num_format": EURO_FORMAT},
    TOTAL_QTY: {**_TOTAL, "num_format": INTEGER_FORMAT},
    GRAND_LABEL: {**_BIG, **_RIGHT},
    GRAND_AMOUNT: {**_BIG, "num_format": EURO_FORMAT},
}
PAPER_A4 = 9

RECAP_TOTAL = "Total des communes"
RECAP_LOT = "Quantité du lot"
ANNEX_SHEET = "Annexe"
ANNEX_COLUMNS = (NUMBER, REF, DESIGNATION, UNIT, "Quantité", "Prix unitaire HT estimé", "Montant estimé HT")
ANNEX_WIDTHS = (6, 16, 50, 11, 12, 17, 18)
LINE_STYLES = {
    NUMBER: CELL,
    REF: CELL,
    DESIGNATION: LONG_TEXT,
    UNIT: CELL,
    CPV: CELL,
    QUANTITY: QTY,
    UNIT_PRICE: PRICE_INPUT,
    ECO: PRICE_INPUT,
    LINE_TOTAL: AMOUNT,
    VAT_RATE: RATE,
    LINE_KEY: CELL,
}


def dqe_total_rows(lot: TenderLot) -> tuple[int, int, int]:
    """The rows of Total HT, TVA and Total TTC in the lot's DQE sheet (column I)."""
    last = FIRST_LINE_ROW + len(lot.lines) - 1
    return last + 1, last + 2, last + 3


def dqe_sheet_title(lot: TenderLot) -> str:
    return f"DQE lot {lot.number}"


__all__ = [
    "dqe_total_rows",
]
