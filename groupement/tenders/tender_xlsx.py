"""The tender spreadsheets: DQE and BPU per lot, every lot in one workbook, the communes × items
recap, each commune's annex for its council, and the zip of them all.

Plain data in (the frozen dataclasses below, mapped from the database by the caller), bytes out.
No database here.

Figures. Every amount in these files is a cent amount, so that what is printed adds up:
- DQE line total HT = ROUND(quantity × (unit price HT + eco-participation HT), 2). The
  eco-participation (DEEE) is part of the price and of the VAT base and may not be discounted
  (domain-facts §4), so it is inside the line total HT, not beside it;
- Total HT = SUM(line totals); TVA = ROUND(SUMPRODUCT(line totals, rates) / 100, 2), rounded once
  on the total; Total TTC = Total HT + TVA;
- estimated amounts (summary, annex) = ROUND(quantity × estimated unit price, 2) per line, and
  sums of those.
`dqe_totals`, `estimated_line_amount` and `estimated_lot_amount` compute the same figures in
Decimal: whatever the application shows beside these files (offer totals, lot estimates) must come
from them. The tests check that a real spreadsheet engine (LibreOffice) recalculating the files
finds exactly these figures, to the cent. (campaigns.rules.estimated_amount rounds once on the
sum instead: over many lines the two may differ by a few cents.)

Streaming. Every workbook is written with openpyxl's write-only mode (rows go to a temporary file
as they are appended), so a recap of 1 000 communes × 5 000 items never holds the whole workbook in
memory. What write-only mode means here:
- cells are appended row by row and never revisited: every row number a formula refers to
  (totals below the table, the summary's links to each lot sheet) is computed before writing;
- the top of the sheet XML is written on the first append: column widths, hidden columns, freeze
  panes and sheet properties (the fit-to-page flag) are set before it; a row's height before
  that row is appended;
- the end of the sheet XML is written on save: sheet protection, merged ranges, data validation,
  print settings, header and footer may be set at any time before;
- styled cells are `WriteOnlyCell`s; write-only sheets have neither `merge_cells()` nor
  `add_data_validation()`: ranges go straight into `sheet.merged_cells`, validations into
  `sheet.data_validations`;
- openpyxl never computes formulas, so formula cells carry no cached result: the workbooks ask
  for a full calculation on load (Excel and LibreOffice compute on opening), but tools that only
  read cached values (python-calamine, pandas, mail previews) see those cells empty. Quantities,
  prices and line identifiers are therefore plain values; only totals are formulas;
- cost: about 25 µs per styled cell (named styles: setting font, fill, border... cell by cell is
  20 times slower), most of it XML serialisation; with lxml installed openpyxl writes faster. A
  recap of 1 000 communes × 5 000 items (5 million cells) takes minutes: a background job.

Protection has no password: it prevents mistakes, it is not a security boundary (the offer reader
checks everything again). Every text cell goes through `escape_text` (formula injection).
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from math import ceil
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from groupement.core.files.xlsx import (
    BLUE,
    BOX,
    EDITABLE_FILL,
    EURO_FORMAT,
    HEADER_FILL,
    HEADER_FONT,
    INTEGER_FORMAT,
    UNIT_PRICE_FORMAT,
    UNLOCKED,
    escape_text,
)
from groupement.core.formatting import date_fr
from groupement.core.money import line_amount, to_cents
from groupement.core.timeutil import paris_today

# --- input ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TenderLine:
    line_key: str  # stable id for re-import (e.g. "L12-0007"), goes in the hidden column
    number: int  # n° within the lot
    ref: str
    designation: str
    unit: str
    cpv: str
    quantity: int  # total estimated quantity (all communes)
    vat_rate: Decimal  # e.g. Decimal("20.00") (per cent)
    estimated_unit_price: Decimal  # buyer's estimate (4 decimals max); NOT written in DQE/BPU for bidders


@dataclass(frozen=True)
class TenderLot:
    key: str
    number: int
    title: str
    groupement: str
    campaign: str
    lines: tuple[TenderLine, ...]


@dataclass(frozen=True)
class CommuneColumn:
    insee: str
    name: str
    quantities: Mapping[str, int]  # line_key -> quantity (missing = 0)


# --- the figures, in Decimal (what the formulas compute) ---------------------------------------


@dataclass(frozen=True)
class DqeTotals:
    ht: Decimal
    vat: Decimal
    ttc: Decimal


def dqe_line_total(quantity: int, unit_price: Decimal, eco_participation: Decimal = Decimal(0)) -> Decimal:
    """A DQE line total HT, eco-participation included (it is part of the price and the VAT base)."""
    return line_amount(quantity, unit_price + eco_participation)


def dqe_totals(lines: Iterable[TenderLine], prices: Mapping[str, tuple[Decimal, Decimal]]) -> DqeTotals:
    """Total HT, VAT and TTC of a priced DQE; prices: line_key -> (unit price HT, eco-participation HT),
    a line without a price counts for zero, as an empty cell does in the spreadsheet."""
    ht = Decimal(0)
    vat_base = Decimal(0)
    for line in lines:
        unit_price, eco = prices.get(line.line_key, (Decimal(0), Decimal(0)))
        total = dqe_line_total(line.quantity, unit_price, eco)
        ht += total
        vat_base += total * line.vat_rate
    vat = to_cents(vat_base / 100)
    return DqeTotals(ht, vat, ht + vat)


def estimated_line_amount(quantity: int, estimated_unit_price: Decimal) -> Decimal:
    return line_amount(quantity, estimated_unit_price)


def estimated_lot_amount(lot: TenderLot) -> Decimal:
    """The buyer's estimate of a lot, HT: the sum of its line amounts, each to the cent."""
    return sum((estimated_line_amount(line.quantity, line.estimated_unit_price) for line in lot.lines), Decimal(0))


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

TITLE_FONT = Font(bold=True, size=14, color=BLUE)
BOLD = Font(bold=True)
SECTION_FILL = PatternFill("solid", fgColor="E3E3FD")
TOTAL_FILL = PatternFill("solid", fgColor="EEEEEE")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
RIGHT = Alignment(horizontal="right", vertical="center")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center", horizontal="center")

# Cells are styled through named styles (public API, listed in Excel's cell styles): setting
# font, fill, border... cell by cell costs a style lookup per attribute, 20 times slower.
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
_BIG = Font(bold=True, size=12)
STYLES = {
    TITLE: {"font": TITLE_FONT, "alignment": WRAP},
    INFO: {"font": BOLD, "alignment": WRAP},
    TEXT: {"alignment": WRAP},
    NOTE: {"font": Font(italic=True)},
    HEADER: {"font": HEADER_FONT, "fill": HEADER_FILL, "alignment": HEADER_ALIGNMENT, "border": BOX},
    CELL: {"border": BOX, "alignment": TOP},
    LONG_TEXT: {"border": BOX, "alignment": WRAP},
    QTY: {"border": BOX, "alignment": TOP, "number_format": INTEGER_FORMAT},
    QTY_TOTAL: {"border": BOX, "alignment": TOP, "number_format": INTEGER_FORMAT, "font": BOLD},
    RATE: {"border": BOX, "alignment": TOP, "number_format": VAT_FORMAT},
    PRICE_INPUT: {
        "border": BOX,
        "alignment": TOP,
        "number_format": UNIT_PRICE_FORMAT,
        "fill": EDITABLE_FILL,
        "protection": UNLOCKED,
    },
    PRICE: {"border": BOX, "alignment": TOP, "number_format": UNIT_PRICE_FORMAT},
    AMOUNT: {"border": BOX, "alignment": TOP, "number_format": EURO_FORMAT},
    SECTION: {"font": BOLD, "fill": SECTION_FILL, "border": BOX},
    TOTAL_LABEL: {"font": BOLD, "fill": TOTAL_FILL, "border": BOX, "alignment": RIGHT},
    TOTAL_BLANK: {"fill": TOTAL_FILL, "border": BOX},
    TOTAL_AMOUNT: {"font": BOLD, "fill": TOTAL_FILL, "border": BOX, "number_format": EURO_FORMAT},
    TOTAL_QTY: {"font": BOLD, "fill": TOTAL_FILL, "border": BOX, "number_format": INTEGER_FORMAT},
    GRAND_LABEL: {"font": _BIG, "alignment": RIGHT},
    GRAND_AMOUNT: {"font": _BIG, "number_format": EURO_FORMAT},
}
PAPER_A4 = 9
MAX_SUM_ARGUMENTS = 200  # Excel's SUM takes at most 255 arguments


# --- the workbooks ------------------------------------------------------------------------------


def dqe_workbook(lot: TenderLot) -> bytes:
    """The lot's DQE for bidders: estimated quantities, price cells to fill in, totals as formulas."""
    workbook = _workbook(f"DQE lot {lot.number} : {lot.title}")
    _write_dqe_sheet(workbook, lot)
    return _save(workbook)


def bpu_workbook(lot: TenderLot) -> bytes:
    """The lot's BPU for bidders: the same lines, no quantities, the unit prices to fill in."""
    _check_lot(lot)
    workbook = _workbook(f"BPU lot {lot.number} : {lot.title}")
    columns = BPU_COLUMNS
    sheet = _new_sheet(workbook, f"BPU lot {lot.number}", columns, freeze=f"D{FIRST_LINE_ROW}")
    _header_block(
        sheet,
        len(columns) - len(HIDDEN_COLUMNS),
        [
            ("Bordereau des prix unitaires (BPU)", TITLE),
            (f"Groupement de commandes : {lot.groupement}", INFO),
            (f"Campagne : {lot.campaign}", INFO),
            (f"Lot n° {lot.number} : {lot.title}", INFO),
            (BPU_INSTRUCTIONS, TEXT),
        ],
    )
    _table_header(sheet, columns)
    for line in lot.lines:
        values = _line_values(line)
        sheet.append([_cell(sheet, values.get(title), LINE_STYLES[title]) for title in columns])
    _price_validation(sheet, columns, FIRST_LINE_ROW + len(lot.lines) - 1)
    _protect(sheet)
    _print_setup(sheet, f"Lot n° {lot.number} : {lot.title}")
    return _save(workbook)


def all_lots_workbook(lots: Sequence[TenderLot], *, with_estimate: bool = True) -> bytes:
    """A summary sheet, then one DQE sheet per lot. The summary links to each lot's totals and, with
    `with_estimate`, shows the buyer's estimate of each lot (a value: estimated unit prices never
    appear); pass with_estimate=False for a file meant for bidders."""
    if not lots:
        raise ValueError("aucun lot à exporter")
    numbers = [lot.number for lot in lots]
    if len(set(numbers)) != len(numbers):
        raise ValueError("deux lots portent le même numéro")
    workbook = _workbook(f"DQE : {_count(len(lots), 'lot')}")
    _write_summary_sheet(workbook, lots, with_estimate)
    for lot in lots:
        _write_dqe_sheet(workbook, lot)
    return _save(workbook)


def recap_workbook(lot: TenderLot, communes: Sequence[CommuneColumn]) -> bytes:
    """Lines × communes of a lot, with row totals, column totals and the lot quantity beside each
    row total. Raises ValueError when the communes' quantities do not add up to a line's quantity."""
    _check_lot(lot)
    _check_recap(lot, communes)
    fixed = (NUMBER, REF, DESIGNATION, UNIT)
    titles = [*fixed, *(f"{commune.name} ({commune.insee})" for commune in communes), RECAP_TOTAL, RECAP_LOT]
    widths = [WIDTHS[title] for title in fixed] + [12] * len(communes) + [13, 13]
    first_commune, last_commune = len(fixed) + 1, len(fixed) + len(communes)
    first = FIRST_LINE_ROW
    last = first + len(lot.lines) - 1

    workbook = _workbook(f"Récapitulatif lot {lot.number} : {lot.title}")
    freeze = f"{get_column_letter(first_commune)}{first}"
    sheet = _sheet(workbook, f"Récapitulatif lot {lot.number}", widths, hidden=(), freeze=freeze)
    _header_block(
        sheet,
        min(len(titles), 12),
        [
            ("Récapitulatif des besoins par commune", TITLE),
            (f"Groupement de commandes : {lot.groupement}", INFO),
            (f"Campagne : {lot.campaign}", INFO),
            (f"Lot n° {lot.number} : {lot.title}", INFO),
            (f"{_count(len(communes), 'commune')}, {_count(len(lot.lines), 'ligne')} ; quantités estimées.", TEXT),
        ],
    )
    _table_header(sheet, titles, height=45)
    first_letter, last_letter = get_column_letter(first_commune), get_column_letter(max(last_commune, first_commune))
    for row, line in enumerate(lot.lines, start=first):
        cells = [
            _cell(sheet, line.number, CELL),
            _cell(sheet, line.ref, CELL),
            _cell(sheet, line.designation, LONG_TEXT),
            _cell(sheet, line.unit, CELL),
        ]
        for commune in communes:
            # No cell at all for zero: easier to read, SUM ignores it, and four cells in five are zeros
            # at a thousand communes (millions of styled empty cells otherwise). Gridlines are printed.
            quantity = commune.quantities.get(line.line_key, 0)
            cells.append(_cell(sheet, quantity, QTY) if quantity else None)
        row_total = _Formula(f"=SUM({first_letter}{row}:{last_letter}{row})") if communes else 0
        cells.append(_cell(sheet, row_total, QTY_TOTAL))
        cells.append(_cell(sheet, line.quantity, QTY))
        sheet.append(cells)

    totals = [_cell(sheet, "Total", TOTAL_LABEL)] + [_cell(sheet, None, TOTAL_BLANK) for _ in fixed[1:]]
    for column in range(first_commune, last_commune + 3):
        letter = get_column_letter(column)
        totals.append(_cell(sheet, _Formula(f"=SUM({letter}{first}:{letter}{last})"), TOTAL_QTY))
    sheet.append(totals)
    sheet.merged_cells.add(f"A{last + 1}:{get_column_letter(len(fixed))}{last + 1}")
    _protect(sheet)
    pages_wide = ceil(len(titles) / 25)  # 22 communes fit on one landscape page, 1 000 on 41
    _print_setup(sheet, f"Lot n° {lot.number} : {lot.title}", pages_wide=pages_wide)
    sheet.print_options.gridLines = True
    if pages_wide > 1:
        sheet.print_title_cols = f"A:{get_column_letter(len(fixed))}"
    return _save(workbook)


def commune_annex_workbook(
    commune: CommuneColumn, lots: Sequence[TenderLot], *, edited_on: date | None = None
) -> bytes:
    """A commune's part of the groupement, for its council: per lot, its lines with quantity,
    estimated unit price and estimated amount, lot subtotals and a grand total (HT). Lines the
    commune did not ask for are left out; a lot it asked nothing of says so."""
    if not lots:
        raise ValueError("aucun lot pour l'annexe de la commune")
    for lot in lots:
        _check_quantities(commune, lot)
    edited_on = edited_on or paris_today()
    campaigns = _distinct(lot.campaign for lot in lots)
    workbook = _workbook(f"Annexe {commune.name} : {campaigns}")
    sheet = _sheet(workbook, ANNEX_SHEET, ANNEX_WIDTHS, hidden=(), freeze=f"A{FIRST_LINE_ROW}")
    _header_block(
        sheet,
        len(ANNEX_COLUMNS),
        [
            ("Groupement de commandes : besoins estimés de la commune", TITLE),
            (f"Commune : {commune.name} (code INSEE {commune.insee})", INFO),
            (f"Groupement de commandes : {_distinct(lot.groupement for lot in lots)}", INFO),
            (f"Campagne : {campaigns}", INFO),
            (f"Document édité le {date_fr(edited_on)}. {ESTIMATE_NOTE}", TEXT),
        ],
    )
    _table_header(sheet, ANNEX_COLUMNS)
    width = len(ANNEX_COLUMNS)
    row = FIRST_LINE_ROW
    subtotals: list[str] = []
    for lot in lots:
        sheet.append([_cell(sheet, f"Lot n° {lot.number} : {lot.title}", SECTION)])
        sheet.merged_cells.add(f"A{row}:{get_column_letter(width)}{row}")
        row += 1
        first = row
        for line in lot.lines:
            quantity = commune.quantities.get(line.line_key, 0)
            if quantity:
                sheet.append(
                    [
                        _cell(sheet, line.number, CELL),
                        _cell(sheet, line.ref, CELL),
                        _cell(sheet, line.designation, LONG_TEXT),
                        _cell(sheet, line.unit, CELL),
                        _cell(sheet, quantity, QTY),
                        _cell(sheet, line.estimated_unit_price, PRICE),
                        _cell(sheet, _Formula(f"=ROUND(E{row}*F{row},2)"), AMOUNT),
                    ]
                )
                row += 1
        if row == first:
            sheet.append([None, None, _cell(sheet, "Aucun besoin de la commune sur ce lot.", NOTE)])
            row += 1
            subtotal: object = 0
        else:
            subtotal = _Formula(f"=SUM(G{first}:G{row - 1})")
        sheet.append(
            [_cell(sheet, f"Sous-total lot n° {lot.number}", TOTAL_LABEL)]
            + [_cell(sheet, None, TOTAL_BLANK) for _ in range(width - 2)]
            + [_cell(sheet, subtotal, TOTAL_AMOUNT)]
        )
        sheet.merged_cells.add(f"A{row}:{get_column_letter(width - 1)}{row}")
        subtotals.append(f"G{row}")
        row += 1
    sheet.append([])
    row += 1
    sheet.append(
        [_cell(sheet, "Total général estimé HT", GRAND_LABEL)]
        + [None] * (width - 2)
        + [_cell(sheet, _sum_of(subtotals), GRAND_AMOUNT)]
    )
    sheet.merged_cells.add(f"A{row}:{get_column_letter(width - 1)}{row}")
    _protect(sheet)
    _print_setup(sheet, f"{commune.name} : besoins estimés")
    return _save(workbook)


def tender_zip(files: Mapping[str, bytes]) -> bytes:
    """A zip of the given files, in name order, every entry dated 1 January 1980: the same files
    give the same bytes."""
    return _zip(sorted(files.items()))


def zip_in_order(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """As tender_zip, with the entries in the order given: each file is compressed as it comes and
    none is kept, so a generator of a thousand annexes never sits in memory at once."""
    return _zip(entries)


def tender_package(
    lots: Sequence[TenderLot], communes: Sequence[CommuneColumn], *, edited_on: date | None = None
) -> bytes:
    """The whole tender file as one zip: every lot in one workbook, then per lot its DQE, BPU and
    recap, then each commune's annex. Each workbook is compressed as soon as it is written; the
    entries come in a fixed order with fixed dates, so the same data give the same zip entries."""

    def entries():
        yield "dqe-tous-les-lots.xlsx", all_lots_workbook(lots)
        for lot in lots:
            folder = f"lot-{lot.number:02d}"
            yield f"{folder}/dqe-lot-{lot.number:02d}.xlsx", dqe_workbook(lot)
            yield f"{folder}/bpu-lot-{lot.number:02d}.xlsx", bpu_workbook(lot)
            yield f"{folder}/recapitulatif-lot-{lot.number:02d}.xlsx", recap_workbook(lot, communes)
        for commune in communes:
            name = f"annexes-communes/annexe-{_slug(commune.insee)}-{_slug(commune.name)}.xlsx"
            yield name, commune_annex_workbook(commune, lots, edited_on=edited_on)

    return _zip(entries())


# --- sheets shared by several workbooks -------------------------------------------------------

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


def _write_dqe_sheet(workbook: Workbook, lot: TenderLot) -> None:
    _check_lot(lot)
    columns = DQE_COLUMNS
    sheet = _new_sheet(workbook, dqe_sheet_title(lot), columns, freeze=f"D{FIRST_LINE_ROW}")
    _header_block(
        sheet,
        len(columns) - len(HIDDEN_COLUMNS),
        [
            ("Détail quantitatif estimatif (DQE)", TITLE),
            (f"Groupement de commandes : {lot.groupement}", INFO),
            (f"Campagne : {lot.campaign}", INFO),
            (f"Lot n° {lot.number} : {lot.title}", INFO),
            (INSTRUCTIONS, TEXT),
        ],
    )
    _table_header(sheet, columns)
    letter = {title: get_column_letter(index) for index, title in enumerate(columns, start=1)}
    q, p, e, t, v = (letter[title] for title in (QUANTITY, UNIT_PRICE, ECO, LINE_TOTAL, VAT_RATE))
    for row, line in enumerate(lot.lines, start=FIRST_LINE_ROW):
        values = _line_values(line)
        values[LINE_TOTAL] = _Formula(f"=ROUND({q}{row}*({p}{row}+{e}{row}),2)")
        sheet.append([_cell(sheet, values.get(title), LINE_STYLES[title]) for title in columns])

    ht_row, vat_row, ttc_row = dqe_total_rows(lot)
    last = ht_row - 1
    lines, rates = f"{t}{FIRST_LINE_ROW}:{t}{last}", f"{v}{FIRST_LINE_ROW}:{v}{last}"
    label_width = columns.index(LINE_TOTAL)  # the label is merged across the columns before the total
    for row, label, formula in (
        (ht_row, "Total HT", f"=SUM({lines})"),
        (vat_row, "TVA", f"=ROUND(SUMPRODUCT({lines},{rates})/100,2)"),
        (ttc_row, "Total TTC", f"={t}{ht_row}+{t}{vat_row}"),
    ):
        sheet.append(
            [_cell(sheet, label, TOTAL_LABEL)]
            + [_cell(sheet, None, TOTAL_BLANK) for _ in range(label_width - 1)]
            + [_cell(sheet, _Formula(formula), TOTAL_AMOUNT)]
        )
        sheet.merged_cells.add(f"A{row}:{get_column_letter(label_width)}{row}")
    _price_validation(sheet, columns, last)
    _protect(sheet)
    _print_setup(sheet, f"Lot n° {lot.number} : {lot.title}")


def _write_summary_sheet(workbook: Workbook, lots: Sequence[TenderLot], with_estimate: bool) -> None:
    columns = [("N° du lot", 9, CELL), ("Intitulé du lot", 50, LONG_TEXT), ("Nombre de lignes", 11, QTY)]
    if with_estimate:
        columns.append(("Montant estimé HT (acheteur)", 18, AMOUNT))
    columns += [("Total HT du DQE", 18, AMOUNT), ("TVA", 16, AMOUNT), ("Total TTC", 18, AMOUNT)]
    sheet = _sheet(workbook, SUMMARY_SHEET, [width for _, width, _ in columns], hidden=(), freeze=f"A{FIRST_LINE_ROW}")
    _header_block(
        sheet,
        len(columns),
        [
            ("Détail quantitatif estimatif : synthèse des lots", TITLE),
            (f"Groupement de commandes : {_distinct(lot.groupement for lot in lots)}", INFO),
            (f"Campagne : {_distinct(lot.campaign for lot in lots)}", INFO),
            (f"{_count(len(lots), 'lot')} : un onglet par lot ; les totaux ci-dessous en proviennent.", TEXT),
            (ESTIMATE_NOTE if with_estimate else "", TEXT),
        ],
    )
    _table_header(sheet, [title for title, _, _ in columns])
    total_letter = get_column_letter(DQE_COLUMNS.index(LINE_TOTAL) + 1)
    for lot in lots:
        quoted = "'" + dqe_sheet_title(lot).replace("'", "''") + "'"
        cells = [_cell(sheet, lot.number, CELL), _cell(sheet, lot.title, LONG_TEXT), _cell(sheet, len(lot.lines), QTY)]
        if with_estimate:
            cells.append(_cell(sheet, estimated_lot_amount(lot), AMOUNT))
        cells += [_cell(sheet, _Formula(f"={quoted}!{total_letter}{row}"), AMOUNT) for row in dqe_total_rows(lot)]
        sheet.append(cells)
    first, last = FIRST_LINE_ROW, FIRST_LINE_ROW + len(lots) - 1
    totals = [_cell(sheet, "Total", TOTAL_LABEL), _cell(sheet, None, TOTAL_BLANK)]
    for column in range(3, len(columns) + 1):
        letter = get_column_letter(column)
        style = TOTAL_QTY if column == 3 else TOTAL_AMOUNT
        totals.append(_cell(sheet, _Formula(f"=SUM({letter}{first}:{letter}{last})"), style))
    sheet.append(totals)
    sheet.merged_cells.add(f"A{last + 1}:B{last + 1}")
    _protect(sheet)
    _print_setup(sheet, "Synthèse des lots")


def _line_values(line: TenderLine) -> dict[str, object]:
    """A line's cells in the DQE and the BPU; prices are left empty for the bidder."""
    return {
        NUMBER: line.number,
        REF: line.ref,
        DESIGNATION: line.designation,
        UNIT: line.unit,
        CPV: line.cpv,
        QUANTITY: line.quantity,
        UNIT_PRICE: None,
        ECO: None,
        VAT_RATE: line.vat_rate,
        LINE_KEY: line.line_key,
    }


def _price_validation(sheet, columns: Sequence[str], last_row: int) -> None:
    validation = DataValidation(
        type="decimal",
        operator="between",
        formula1="0",
        formula2="100000000",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle="Prix invalide",
        error="Saisissez un montant HT en euros, positif ou nul, 4 décimales au plus.",
        showInputMessage=True,
        promptTitle="Prix HT",
        prompt="Montant HT en euros, 4 décimales au plus.",
    )
    for title in PRICE_COLUMNS:
        letter = get_column_letter(columns.index(title) + 1)
        validation.add(f"{letter}{FIRST_LINE_ROW}:{letter}{last_row}")
    sheet.data_validations.append(validation)  # write-only sheets have no add_data_validation()


# --- write-only helpers -------------------------------------------------------------------------


class _Formula(str):
    """A formula built here: the one kind of text written unescaped."""


def _workbook(title: str) -> Workbook:
    workbook = Workbook(write_only=True)
    workbook.properties.title = _clean(title)[:200]
    workbook.properties.creator = "groupement"
    # Formula cells have no cached value (openpyxl does not compute): ask for a calculation on load.
    workbook.calculation.fullCalcOnLoad = True
    for name, attributes in STYLES.items():
        workbook.add_named_style(NamedStyle(name=name, **attributes))
    return workbook


def _new_sheet(workbook: Workbook, title: str, columns: Sequence[str], freeze: str | None):
    widths = [WIDTHS[column] for column in columns]
    hidden = [index for index, column in enumerate(columns, start=1) if column in HIDDEN_COLUMNS]
    return _sheet(workbook, title, widths, hidden=hidden, freeze=freeze)


def _sheet(workbook: Workbook, title: str, widths: Sequence[int], hidden: Iterable[int], freeze: str | None):
    """A write-only sheet with its top part set (widths, hidden columns, panes, fit to page): it is
    written on the first append and cannot change afterwards."""
    sheet = workbook.create_sheet(title[:31])
    hidden = set(hidden)
    for index, width in enumerate(widths, start=1):
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = width
        dimension.hidden = index in hidden
    if freeze:
        sheet.freeze_panes = freeze
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    return sheet


def _header_block(sheet, width: int, block: Sequence[tuple[str, str]]) -> None:
    """Rows 1 to 5, one text each, merged across the table's width; then row 6, blank."""
    assert len(block) == HEADER_ROW - 2
    last = get_column_letter(max(width, 1))
    for row, (text, style) in enumerate(block, start=1):
        characters_per_line = 12 * max(width, 1)
        if len(text) > characters_per_line:
            sheet.row_dimensions[row].height = 15 * ceil(len(text) / characters_per_line)
        sheet.append([_cell(sheet, text or None, style)])
        sheet.merged_cells.add(f"A{row}:{last}{row}")
    sheet.append([])


def _table_header(sheet, titles: Sequence[str], height: int = 32) -> None:
    sheet.row_dimensions[HEADER_ROW].height = height
    sheet.append([_cell(sheet, title, HEADER) for title in titles])


def _cell(sheet, value, style: str) -> WriteOnlyCell:
    """A styled cell; a text that is not one of our formulas is cleaned and escaped."""
    if isinstance(value, str) and not isinstance(value, _Formula):
        value = escape_text(_clean(value))
    cell = WriteOnlyCell(sheet, value=value)
    # Naming the style looks it up in the workbook on every cell; its resolved array is copied instead
    # (a recap at a thousand communes has millions of cells).
    resolved = _STYLE_ARRAYS.setdefault(sheet.parent, {})
    if style in resolved:
        cell._style = copy(resolved[style])
    else:
        cell.style = style
        resolved[style] = copy(cell._style)
    return cell


_STYLE_ARRAYS: WeakKeyDictionary[Workbook, dict[str, object]] = WeakKeyDictionary()


def _protect(sheet) -> None:
    """Protected without password; resizing, filtering and selecting stay possible."""
    protection = sheet.protection
    protection.sheet = True
    protection.formatColumns = False
    protection.formatRows = False
    protection.autoFilter = False
    protection.selectLockedCells = False
    protection.selectUnlockedCells = False


def _print_setup(sheet, header: str, pages_wide: int = 1) -> None:
    """A4 landscape, fit to the width, the table header repeated on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = PAPER_A4
    sheet.page_setup.fitToWidth = pages_wide
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddHeader.center.text = _header_footer_text(header)
    sheet.oddFooter.center.text = "Page &P / &N"


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip(entries: Iterable[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    seen: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            _check_entry_name(name)
            if name in seen:
                raise ValueError(f"fichier « {name} » en double dans le zip")
            seen.add(name)
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever the server: same bytes everywhere
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


# --- checks and small helpers -----------------------------------------------------------------


def _check_lot(lot: TenderLot) -> None:
    if not lot.lines:
        raise ValueError(f"le lot n° {lot.number} n'a aucune ligne")
    keys = [line.line_key for line in lot.lines]
    if len(set(keys)) != len(keys):
        raise ValueError(f"le lot n° {lot.number} a deux lignes de même identifiant")


def _check_quantities(commune: CommuneColumn, lot: TenderLot) -> None:
    for line in lot.lines:
        quantity = commune.quantities.get(line.line_key, 0)
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise ValueError(
                f"quantité invalide ({quantity!r}) pour la commune {commune.name}, lot n° {lot.number}, "
                f"ligne n° {line.number}"
            )


def _check_recap(lot: TenderLot, communes: Sequence[CommuneColumn]) -> None:
    for commune in communes:
        _check_quantities(commune, lot)
    for line in lot.lines:
        total = sum(commune.quantities.get(line.line_key, 0) for commune in communes)
        if total != line.quantity:
            raise ValueError(
                f"lot n° {lot.number}, ligne n° {line.number} ({line.ref}) : les communes totalisent {total}, "
                f"la ligne porte {line.quantity}"
            )


def _sum_of(cells: Sequence[str]) -> _Formula:
    """=SUM of single cells, nested when there are more than one SUM takes."""
    groups = [cells[index : index + MAX_SUM_ARGUMENTS] for index in range(0, len(cells), MAX_SUM_ARGUMENTS)]
    if len(groups) == 1:
        return _Formula(f"=SUM({','.join(cells)})")
    return _Formula("=SUM(" + ",".join(f"SUM({','.join(group)})" for group in groups) + ")")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number > 1 else ''}"


def _distinct(values: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(values))


def _clean(text: str) -> str:
    """Without the control characters an xlsx file cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _header_footer_text(text: str) -> str:
    """In a print header & starts a code: doubled, it prints itself."""
    return _clean(text)[:120].replace("&", "&&")


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "sans-nom"


def _check_entry_name(name: str) -> None:
    parts = name.split("/")
    if not name or name.startswith("/") or "\\" in name or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"nom de fichier invalide dans le zip : « {name} »")


__all__ = [
    "CommuneColumn",
    "DqeTotals",
    "TenderLine",
    "TenderLot",
    "all_lots_workbook",
    "bpu_workbook",
    "commune_annex_workbook",
    "dqe_line_total",
    "dqe_total_rows",
    "dqe_totals",
    "dqe_workbook",
    "estimated_line_amount",
    "estimated_lot_amount",
    "recap_workbook",
    "tender_package",
    "tender_zip",
    "zip_in_order",
]
