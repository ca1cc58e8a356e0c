"""The communes × items recap of a lot and each commune's annex for its council."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from math import ceil

from xlsxwriter.utility import xl_col_to_name

from groupement.core.formatting import date_fr
from groupement.core.french import de
from groupement.core.timeutil import paris_today
from groupement.tenders import tender_writer as writer
from groupement.tenders.tender_data import CommuneColumn, TenderLot, check_lot
from groupement.tenders.tender_layout import (
    AMOUNT,
    ANNEX_COLUMNS,
    ANNEX_SHEET,
    ANNEX_WIDTHS,
    CELL,
    DESIGNATION,
    ESTIMATE_NOTE,
    FIRST_LINE_ROW,
    GRAND_AMOUNT,
    GRAND_LABEL,
    INFO,
    LONG_TEXT,
    NOTE,
    NUMBER,
    PRICE,
    QTY,
    QTY_TOTAL,
    RECAP_LOT,
    RECAP_TOTAL,
    REF,
    SECTION,
    TEXT,
    TITLE,
    TOTAL_AMOUNT,
    TOTAL_BLANK,
    TOTAL_LABEL,
    TOTAL_QTY,
    UNIT,
    WIDTHS,
)


def recap_workbook(lot: TenderLot, communes: Sequence[CommuneColumn]) -> bytes:
    """Lines × communes of a lot, with row totals, column totals and the lot quantity beside each
    row total. Raises ValueError when the communes' quantities do not add up to a line's quantity."""
    check_lot(lot)
    _check_recap(lot, communes)
    fixed = (NUMBER, REF, DESIGNATION, UNIT)
    titles = [*fixed, *(f"{commune.name} ({commune.insee})" for commune in communes), RECAP_TOTAL, RECAP_LOT]
    widths = [WIDTHS[title] for title in fixed] + [12] * len(communes) + [13, 13]
    first_commune, last_commune = len(fixed) + 1, len(fixed) + len(communes)
    first = FIRST_LINE_ROW
    last = first + len(lot.lines) - 1

    cells = (len(lot.lines) + 10) * len(titles)
    workbook = writer.workbook(f"Récapitulatif lot {lot.number} : {lot.title}", cells=cells)
    freeze = f"{_letter(first_commune)}{first}"
    sheet = writer.sheet(workbook, f"Récapitulatif lot {lot.number}", widths, hidden=(), freeze=freeze)
    writer.header_block(
        sheet,
        min(len(titles), 12),
        [
            ("Récapitulatif des besoins par commune", TITLE),
            (f"Groupement de commandes : {lot.groupement}", INFO),
            (f"Campagne : {lot.campaign}", INFO),
            (f"Lot n° {lot.number} : {lot.title}", INFO),
            (
                f"{writer.count(len(communes), 'commune')}, "
                f"{writer.count(len(lot.lines), 'ligne')} ; quantités estimées.",
                TEXT,
            ),
        ],
    )
    writer.table_header(sheet, titles, height=45)
    first_letter, last_letter = _letter(first_commune), _letter(max(last_commune, first_commune))
    quantities = [commune.quantities.get for commune in communes]
    for row, line in enumerate(lot.lines, start=first):
        cells = [
            writer.cell(line.number, CELL),
            writer.cell(line.ref, CELL),
            writer.cell(line.designation, LONG_TEXT),
            writer.cell(line.unit, CELL),
        ]
        key = line.line_key
        # No cell at all for zero: easier to read, SUM ignores it, and four cells in five are zeros
        # at a thousand communes (millions of styled empty cells otherwise). Gridlines are printed.
        cells += [writer.cell(quantity, QTY) if (quantity := get(key, 0)) else None for get in quantities]
        row_total = writer.Formula(f"=SUM({first_letter}{row}:{last_letter}{row})") if communes else 0
        cells.append(writer.cell(row_total, QTY_TOTAL))
        cells.append(writer.cell(line.quantity, QTY))
        sheet.append(cells)

    totals = [writer.cell("Total", TOTAL_LABEL)] + [writer.cell(None, TOTAL_BLANK) for _ in fixed[1:]]
    for column in range(first_commune, last_commune + 3):
        letter = _letter(column)
        totals.append(writer.cell(writer.Formula(f"=SUM({letter}{first}:{letter}{last})"), TOTAL_QTY))
    sheet.append(totals)
    sheet.merge_last(1, len(fixed))
    writer.protect(sheet)
    pages_wide = ceil(len(titles) / 25)  # 22 communes fit on one landscape page, 1 000 on 41
    writer.print_setup(
        sheet,
        f"Lot n° {lot.number} : {lot.title}",
        pages_wide=pages_wide,
        title_columns=len(fixed) if pages_wide > 1 else 0,
        gridlines=True,
    )
    return writer.save(workbook)


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
    campaigns = writer.distinct(lot.campaign for lot in lots)
    cells = 7 * (len(commune.quantities) + 2 * len(lots) + 10)  # the lines it asked for, a title and subtotal per lot
    workbook = writer.workbook(f"Annexe {de(commune.name)} : {campaigns}", cells=cells)
    sheet = writer.sheet(workbook, ANNEX_SHEET, ANNEX_WIDTHS, hidden=(), freeze=f"A{FIRST_LINE_ROW}")
    writer.header_block(
        sheet,
        len(ANNEX_COLUMNS),
        [
            ("Groupement de commandes : besoins estimés de la commune", TITLE),
            (f"Commune : {commune.name} (code INSEE {commune.insee})", INFO),
            (f"Groupement de commandes : {writer.distinct(lot.groupement for lot in lots)}", INFO),
            (f"Campagne : {campaigns}", INFO),
            (f"Document édité le {date_fr(edited_on)}. {ESTIMATE_NOTE}", TEXT),
        ],
    )
    writer.table_header(sheet, ANNEX_COLUMNS)
    width = len(ANNEX_COLUMNS)
    row = FIRST_LINE_ROW
    subtotals: list[str] = []
    for lot in lots:
        sheet.append([writer.cell(f"Lot n° {lot.number} : {lot.title}", SECTION)])
        sheet.merge_last(1, width)
        row += 1
        first = row
        for line in lot.lines:
            quantity = commune.quantities.get(line.line_key, 0)
            if quantity:
                sheet.append(
                    [
                        writer.cell(line.number, CELL),
                        writer.cell(line.ref, CELL),
                        writer.cell(line.designation, LONG_TEXT),
                        writer.cell(line.unit, CELL),
                        writer.cell(quantity, QTY),
                        writer.cell(line.estimated_unit_price, PRICE),
                        writer.cell(writer.Formula(f"=ROUND(E{row}*F{row},2)"), AMOUNT),
                    ]
                )
                row += 1
        if row == first:
            sheet.append([None, None, writer.cell("Aucun besoin de la commune sur ce lot.", NOTE)])
            row += 1
            subtotal: object = 0
        else:
            subtotal = writer.Formula(f"=SUM(G{first}:G{row - 1})")
        sheet.append(
            [writer.cell(f"Sous-total lot n° {lot.number}", TOTAL_LABEL)]
            + [writer.cell(None, TOTAL_BLANK) for _ in range(width - 2)]
            + [writer.cell(subtotal, TOTAL_AMOUNT)]
        )
        sheet.merge_last(1, width - 1)
        subtotals.append(f"G{row}")
        row += 1
    sheet.append()
    row += 1
    sheet.append(
        [writer.cell("Total général estimé HT", GRAND_LABEL)]
        + [None] * (width - 2)
        + [writer.cell(_sum_of(subtotals), GRAND_AMOUNT)]
    )
    sheet.merge_last(1, width - 1)
    writer.protect(sheet)
    writer.print_setup(sheet, f"{commune.name} : besoins estimés")
    return writer.save(workbook)


MAX_SUM_ARGUMENTS = 200  # Excel's SUM takes at most 255 arguments


# --- checks and small helpers -----------------------------------------------------------------


def _check_quantities(commune: CommuneColumn, lot: TenderLot) -> None:
    if all(quantity.__class__ is int and quantity >= 0 for quantity in commune.quantities.values()):
        return  # the usual case, in one pass over the commune's own quantities; else find the line to name
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


def _letter(column: int) -> str:
    """The letter of a column numbered from 1."""
    return xl_col_to_name(column - 1)


def _sum_of(cells: Sequence[str]) -> writer.Formula:
    """=SUM of single cells, nested when there are more than one SUM takes."""
    groups = [cells[index : index + MAX_SUM_ARGUMENTS] for index in range(0, len(cells), MAX_SUM_ARGUMENTS)]
    if len(groups) == 1:
        return writer.Formula(f"=SUM({','.join(cells)})")
    return writer.Formula("=SUM(" + ",".join(f"SUM({','.join(group)})" for group in groups) + ")")


__all__ = [
    "commune_annex_workbook",
    "recap_workbook",
]
