"""The communes × items recap of a lot (each commune's annex is annex_xlsx.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from math import ceil

from xlsxwriter.utility import xl_col_to_name

from groupement.tenders import tender_writer as writer
from groupement.tenders.tender_data import CommuneColumn, TenderLot, check_lot
from groupement.tenders.tender_layout import (
    CELL,
    DESIGNATION,
    FIRST_LINE_ROW,
    INFO,
    LONG_TEXT,
    NUMBER,
    QTY,
    QTY_TOTAL,
    RECAP_LOT,
    RECAP_TOTAL,
    REF,
    TEXT,
    TITLE,
    TOTAL_BLANK,
    TOTAL_LABEL,
    TOTAL_QTY,
    UNIT,
    WIDTHS,
)

FIXED_COLUMNS = 4  # N°, Réf., Désignation, Unité, before the communes


def recap_workbook(lot: TenderLot, communes: Sequence[CommuneColumn]) -> bytes:
    """Lines × communes of a lot, with row totals, column totals and the lot quantity beside each
    row total. Raises ValueError when the communes' quantities do not add up to a line's quantity."""
    check_lot(lot)
    by_line = _check_recap(lot, communes)
    fixed = (NUMBER, REF, DESIGNATION, UNIT)  # FIXED_COLUMNS of them
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
    row_total = writer.formula_template(f"=SUM({first_letter}{{row}}:{last_letter}{{row}})")
    append_line = sheet.styled_rows((CELL, CELL, LONG_TEXT, CELL, *[QTY] * len(communes), QTY_TOTAL, QTY))
    blank: list[object] = [None] * (len(fixed) + len(communes) + 2)
    for row, line in enumerate(lot.lines, start=first):
        values = blank.copy()
        values[:4] = line.number, line.ref, line.designation, line.unit
        # No cell at all for zero: easier to read, SUM ignores it, and four cells in five are zeros
        # at a thousand communes (millions of styled empty cells otherwise). Gridlines are printed.
        for column, quantity in by_line.get(line.line_key, ()):
            values[column] = quantity
        values[-2] = row_total(row=row) if communes else 0
        values[-1] = line.quantity
        append_line(values)

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


def _check_recap(lot: TenderLot, communes: Sequence[CommuneColumn]) -> dict[str, list[tuple[int, int]]]:
    """The lot's non-zero quantities per line key as (column from 0, quantity), once the communes'
    quantities are checked and found to add up to each line's quantity."""
    by_line: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for column, commune in enumerate(communes, start=FIXED_COLUMNS):
        _check_quantities(commune, lot)
        for key, quantity in commune.quantities.items():
            if quantity:
                by_line[key].append((column, quantity))
    for line in lot.lines:
        total = sum(quantity for _, quantity in by_line.get(line.line_key, ()))
        if total != line.quantity:
            raise ValueError(
                f"lot n° {lot.number}, ligne n° {line.number} ({line.ref}) : les communes totalisent {total}, "
                f"la ligne porte {line.quantity}"
            )
    return by_line


def _letter(column: int) -> str:
    """The letter of a column numbered from 1."""
    return xl_col_to_name(column - 1)


__all__ = ["recap_workbook"]
