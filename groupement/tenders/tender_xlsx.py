"""The tender spreadsheets per lot: DQE and BPU, and every lot in one workbook. What follows holds
for all the tender files: the communes × items recap and each commune's annex (recap_xlsx), the zips
of them all (tender_package).

Plain data in (the frozen dataclasses of tender_data, mapped from the database by the caller), bytes out.
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

Streaming. Every workbook is written with XlsxWriter in constant-memory mode (core.files.xlsx_writer:
each row goes to a temporary file once the next one starts), so a recap of 1 000 communes × 5 000 items
never holds the whole workbook in memory. What that means here:
- rows are written top to bottom and never revisited: every row number a formula refers to (totals
  below the table, the summary's links to each lot sheet) is computed before writing; a row's height
  is set before that row; a merged range is declared on the row just written (`merge_last`);
- widths, hidden columns, panes, protection, data validation and print settings are set at any time;
- cells refer to one format object per named style of tender_layout.STYLES (one lookup per workbook);
- no formula cell carries a cached result: the workbooks ask for a full calculation on load (Excel and
  LibreOffice compute on opening), but tools that only read cached values (python-calamine, pandas,
  mail previews) see those cells empty. Quantities, prices and line identifiers are therefore plain
  values; only totals are formulas;
- text cells are inline strings, which openpyxl and calamine read back like shared ones;
- cost: a few µs per styled cell, most of it XML serialisation (benchmarks/, scenario exports).

Protection has no password: it prevents mistakes, it is not a security boundary (the offer reader
checks everything again). Every text cell goes through `escape_text` (formula injection).
"""

from __future__ import annotations

from collections.abc import Sequence

from xlsxwriter.utility import xl_col_to_name

from groupement.core.files.xlsx_writer import Book, Sheet
from groupement.tenders import tender_writer as writer
from groupement.tenders.tender_data import TenderLine, TenderLot, check_lot, estimated_lot_amount
from groupement.tenders.tender_layout import (
    AMOUNT,
    BPU_COLUMNS,
    BPU_INSTRUCTIONS,
    CELL,
    CPV,
    DESIGNATION,
    DQE_COLUMNS,
    ECO,
    ESTIMATE_NOTE,
    FIRST_LINE_ROW,
    HIDDEN_COLUMNS,
    INFO,
    INSTRUCTIONS,
    LINE_KEY,
    LINE_STYLES,
    LINE_TOTAL,
    LONG_TEXT,
    NUMBER,
    PRICE_COLUMNS,
    QTY,
    QUANTITY,
    REF,
    SUMMARY_SHEET,
    TEXT,
    TITLE,
    TOTAL_AMOUNT,
    TOTAL_BLANK,
    TOTAL_LABEL,
    TOTAL_QTY,
    UNIT,
    UNIT_PRICE,
    VAT_RATE,
    WIDTHS,
    dqe_sheet_title,
    dqe_total_rows,
)

# --- the workbooks ------------------------------------------------------------------------------


def dqe_workbook(lot: TenderLot) -> bytes:
    """The lot's DQE for bidders: estimated quantities, price cells to fill in, totals as formulas."""
    workbook = writer.workbook(f"DQE lot {lot.number} : {lot.title}", cells=_cells(lot, DQE_COLUMNS))
    _write_dqe_sheet(workbook, lot)
    return writer.save(workbook)


def bpu_workbook(lot: TenderLot) -> bytes:
    """The lot's BPU for bidders: the same lines, no quantities, the unit prices to fill in."""
    check_lot(lot)
    workbook = writer.workbook(f"BPU lot {lot.number} : {lot.title}", cells=_cells(lot, BPU_COLUMNS))
    columns = BPU_COLUMNS
    sheet = _new_sheet(workbook, f"BPU lot {lot.number}", columns, freeze=f"D{FIRST_LINE_ROW}")
    writer.header_block(
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
    writer.table_header(sheet, columns)
    styles = [LINE_STYLES[title] for title in columns]
    for line in lot.lines:
        values = _line_values(line)
        sheet.append([writer.cell(values.get(title), style) for title, style in zip(columns, styles, strict=True)])
    _price_validation(sheet, columns, FIRST_LINE_ROW + len(lot.lines) - 1)
    writer.protect(sheet)
    writer.print_setup(sheet, f"Lot n° {lot.number} : {lot.title}")
    return writer.save(workbook)


def all_lots_workbook(lots: Sequence[TenderLot], *, with_estimate: bool = True) -> bytes:
    """A summary sheet, then one DQE sheet per lot. The summary links to each lot's totals and, with
    `with_estimate`, shows the buyer's estimate of each lot (a value: estimated unit prices never
    appear); pass with_estimate=False for a file meant for bidders."""
    if not lots:
        raise ValueError("aucun lot à exporter")
    numbers = [lot.number for lot in lots]
    if len(set(numbers)) != len(numbers):
        raise ValueError("deux lots portent le même numéro")
    cells = sum(_cells(lot, DQE_COLUMNS) for lot in lots) + 8 * (len(lots) + 20)
    workbook = writer.workbook(f"DQE : {writer.count(len(lots), 'lot')}", cells=cells)
    _write_summary_sheet(workbook, lots, with_estimate)
    for lot in lots:
        _write_dqe_sheet(workbook, lot)
    return writer.save(workbook)


def _write_dqe_sheet(workbook: Book, lot: TenderLot) -> None:
    check_lot(lot)
    columns = DQE_COLUMNS
    sheet = _new_sheet(workbook, dqe_sheet_title(lot), columns, freeze=f"D{FIRST_LINE_ROW}")
    writer.header_block(
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
    writer.table_header(sheet, columns)
    letter = {title: _letter(index) for index, title in enumerate(columns, start=1)}
    q, p, e, t, v = (letter[title] for title in (QUANTITY, UNIT_PRICE, ECO, LINE_TOTAL, VAT_RATE))
    styles = [LINE_STYLES[title] for title in columns]
    for row, line in enumerate(lot.lines, start=FIRST_LINE_ROW):
        values = _line_values(line)
        values[LINE_TOTAL] = writer.Formula(f"=ROUND({q}{row}*({p}{row}+{e}{row}),2)")
        sheet.append([writer.cell(values.get(title), style) for title, style in zip(columns, styles, strict=True)])

    ht_row, vat_row, ttc_row = dqe_total_rows(lot)
    last = ht_row - 1
    lines, rates = f"{t}{FIRST_LINE_ROW}:{t}{last}", f"{v}{FIRST_LINE_ROW}:{v}{last}"
    label_width = columns.index(LINE_TOTAL)  # the label is merged across the columns before the total
    # Rows ht_row, vat_row, ttc_row, in that order: the formulas refer to them.
    for label, formula in (
        ("Total HT", f"=SUM({lines})"),
        ("TVA", f"=ROUND(SUMPRODUCT({lines},{rates})/100,2)"),
        ("Total TTC", f"={t}{ht_row}+{t}{vat_row}"),
    ):
        sheet.append(
            [writer.cell(label, TOTAL_LABEL)]
            + [writer.cell(None, TOTAL_BLANK) for _ in range(label_width - 1)]
            + [writer.cell(writer.Formula(formula), TOTAL_AMOUNT)]
        )
        sheet.merge_last(1, label_width)
    _price_validation(sheet, columns, last)
    writer.protect(sheet)
    writer.print_setup(sheet, f"Lot n° {lot.number} : {lot.title}")


def _write_summary_sheet(workbook: Book, lots: Sequence[TenderLot], with_estimate: bool) -> None:
    columns = [("N° du lot", 9, CELL), ("Intitulé du lot", 50, LONG_TEXT), ("Nombre de lignes", 11, QTY)]
    if with_estimate:
        columns.append(("Montant estimé HT (acheteur)", 18, AMOUNT))
    columns += [("Total HT du DQE", 18, AMOUNT), ("TVA", 16, AMOUNT), ("Total TTC", 18, AMOUNT)]
    sheet = writer.sheet(
        workbook, SUMMARY_SHEET, [width for _, width, _ in columns], hidden=(), freeze=f"A{FIRST_LINE_ROW}"
    )
    writer.header_block(
        sheet,
        len(columns),
        [
            ("Détail quantitatif estimatif : synthèse des lots", TITLE),
            (f"Groupement de commandes : {writer.distinct(lot.groupement for lot in lots)}", INFO),
            (f"Campagne : {writer.distinct(lot.campaign for lot in lots)}", INFO),
            (f"{writer.count(len(lots), 'lot')} : un onglet par lot ; les totaux ci-dessous en proviennent.", TEXT),
            (ESTIMATE_NOTE if with_estimate else "", TEXT),
        ],
    )
    writer.table_header(sheet, [title for title, _, _ in columns])
    total_letter = _letter(DQE_COLUMNS.index(LINE_TOTAL) + 1)
    for lot in lots:
        quoted = "'" + dqe_sheet_title(lot).replace("'", "''") + "'"
        cells = [
            writer.cell(lot.number, CELL),
            writer.cell(lot.title, LONG_TEXT),
            writer.cell(len(lot.lines), QTY),
        ]
        if with_estimate:
            cells.append(writer.cell(estimated_lot_amount(lot), AMOUNT))
        cells += [writer.cell(writer.Formula(f"={quoted}!{total_letter}{row}"), AMOUNT) for row in dqe_total_rows(lot)]
        sheet.append(cells)
    first, last = FIRST_LINE_ROW, FIRST_LINE_ROW + len(lots) - 1
    totals = [writer.cell("Total", TOTAL_LABEL), writer.cell(None, TOTAL_BLANK)]
    for column in range(3, len(columns) + 1):
        letter = _letter(column)
        style = TOTAL_QTY if column == 3 else TOTAL_AMOUNT
        totals.append(writer.cell(writer.Formula(f"=SUM({letter}{first}:{letter}{last})"), style))
    sheet.append(totals)
    sheet.merge_last(1, 2)
    writer.protect(sheet)
    writer.print_setup(sheet, "Synthèse des lots")


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


def _price_validation(sheet: Sheet, columns: Sequence[str], last_row: int) -> None:
    ranges = []
    for title in PRICE_COLUMNS:
        letter = _letter(columns.index(title) + 1)
        ranges.append(f"{letter}{FIRST_LINE_ROW}:{letter}{last_row}")
    sheet.validate(
        ranges,
        {
            "validate": "decimal",
            "criteria": "between",
            "minimum": 0,
            "maximum": 100_000_000,
            "ignore_blank": True,
            "error_type": "stop",
            "error_title": "Prix invalide",
            "error_message": "Saisissez un montant HT en euros, positif ou nul, 4 décimales au plus.",
            "input_title": "Prix HT",
            "input_message": "Montant HT en euros, 4 décimales au plus.",
        },
    )


def _cells(lot: TenderLot, columns: Sequence[str]) -> int:
    """About how many cells a lot's sheet holds: its lines, the header block and the totals."""
    return (len(lot.lines) + 10) * len(columns)


def _letter(column: int) -> str:
    """The letter of a column numbered from 1."""
    return xl_col_to_name(column - 1)


def _new_sheet(workbook: Book, title: str, columns: Sequence[str], freeze: str | None):
    widths = [WIDTHS[column] for column in columns]
    hidden = [index for index, column in enumerate(columns, start=1) if column in HIDDEN_COLUMNS]
    return writer.sheet(workbook, title, widths, hidden=hidden, freeze=freeze)


__all__ = [
    "all_lots_workbook",
    "bpu_workbook",
    "dqe_workbook",
]
