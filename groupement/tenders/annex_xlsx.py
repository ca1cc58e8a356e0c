"""Each commune's annex for its council: its part of the groupement's lots. At a thousand communes
the annexes are most of the dossier's cells (six in seven at 1 000 × 5 000), so what every annex
shares is prepared once (`AnnexLots`: texts cleaned and escaped, prices as floats, formulas from a
template), and `annex_workbooks` can write them in a pool of processes."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Protocol

from groupement.core.files.xlsx_writer import Text, formula_template, text
from groupement.core.formatting import date_fr
from groupement.core.french import de
from groupement.core.timeutil import paris_today
from groupement.tenders import tender_writer as writer
from groupement.tenders.tender_data import CommuneColumn, TenderLot
from groupement.tenders.tender_layout import (
    AMOUNT,
    ANNEX_COLUMNS,
    ANNEX_SHEET,
    ANNEX_WIDTHS,
    CELL,
    ESTIMATE_NOTE,
    FIRST_LINE_ROW,
    GRAND_AMOUNT,
    GRAND_LABEL,
    INFO,
    LONG_TEXT,
    NOTE,
    PRICE,
    QTY,
    SECTION,
    TEXT,
    TITLE,
    TOTAL_AMOUNT,
    TOTAL_BLANK,
    TOTAL_LABEL,
)

MAX_SUM_ARGUMENTS = 200  # Excel's SUM takes at most 255 arguments
LINE_STYLES = (CELL, CELL, LONG_TEXT, CELL, QTY, PRICE, AMOUNT)
_AMOUNT = formula_template("=ROUND(E{row}*F{row},2)")
_SUBTOTAL = formula_template("=SUM(G{first}:G{last})")
# Below this many line cells in all the annexes together, a pool costs more than it saves: starting
# its processes takes about a second of processor time (the forkserver's one import), 80 000 cells
# about four.
POOL_MIN_CELLS = 300_000


@dataclass(frozen=True, slots=True)
class _Line:
    key: str
    number: int
    ref: Text
    designation: Text
    unit: Text
    price: float  # the estimate as written: XlsxWriter formats a float faster than a Decimal


class AnnexLots:
    """The lots as every annex writes them, prepared once for all the communes."""

    def __init__(self, lots: Sequence[TenderLot]):
        if not lots:
            raise ValueError("aucun lot pour l'annexe de la commune")
        self.lots = tuple(lots)
        self.campaigns = writer.distinct(lot.campaign for lot in lots)
        self.groupements = writer.distinct(lot.groupement for lot in lots)
        self.lines = [
            [
                _Line(
                    line.line_key,
                    line.number,
                    text(line.ref),
                    text(line.designation),
                    text(line.unit),
                    # An .xlsx number cell is a double whatever we hand it: converted once here,
                    # not once per commune's annex (the writer would convert the Decimal each time).
                    float(line.estimated_unit_price),  # float-ok
                )
                for line in lot.lines
            ]
            for lot in lots
        ]

    def workbook(self, commune: CommuneColumn, edited_on: date | None = None) -> bytes:
        """Per lot, the commune's lines with quantity, estimated unit price and estimated amount,
        lot subtotals and a grand total (HT). Lines the commune did not ask for are left out; a lot
        it asked nothing of says so."""
        _check_quantities(commune, self.lots)
        edited_on = edited_on or paris_today()
        lots, width = self.lots, len(ANNEX_COLUMNS)
        cells = width * (len(commune.quantities) + 2 * len(lots) + 10)  # its lines, a title and subtotal per lot
        book = writer.workbook(f"Annexe {de(commune.name)} : {self.campaigns}", cells=cells)
        sheet = writer.sheet(book, ANNEX_SHEET, ANNEX_WIDTHS, hidden=(), freeze=f"A{FIRST_LINE_ROW}")
        writer.header_block(
            sheet,
            width,
            [
                ("Groupement de commandes : besoins estimés de la commune", TITLE),
                (f"Commune : {commune.name} (code INSEE {commune.insee})", INFO),
                (f"Groupement de commandes : {self.groupements}", INFO),
                (f"Campagne : {self.campaigns}", INFO),
                (f"Document édité le {date_fr(edited_on)}. {ESTIMATE_NOTE}", TEXT),
            ],
        )
        writer.table_header(sheet, ANNEX_COLUMNS)
        append_line = sheet.styled_rows(LINE_STYLES)
        quantity_of = commune.quantities.get
        row = FIRST_LINE_ROW
        subtotals: list[str] = []
        for lot, lines in zip(lots, self.lines, strict=True):
            sheet.append([writer.cell(f"Lot n° {lot.number} : {lot.title}", SECTION)])
            sheet.merge_last(1, width)
            row += 1
            first = row
            for line in lines:
                quantity = quantity_of(line.key)
                if quantity:
                    append_line(
                        (line.number, line.ref, line.designation, line.unit, quantity, line.price, _AMOUNT(row=row))
                    )
                    row += 1
            if row == first:
                sheet.append([None, None, writer.cell("Aucun besoin de la commune sur ce lot.", NOTE)])
                row += 1
                subtotal: object = 0
            else:
                subtotal = _SUBTOTAL(first=first, last=row - 1)
            sheet.append(
                [writer.cell(f"Sous-total lot n° {lot.number}", TOTAL_LABEL)]
                + [writer.cell(None, TOTAL_BLANK) for _ in range(width - 2)]
                + [writer.cell(subtotal, TOTAL_AMOUNT)]
            )
            sheet.merge_last(1, width - 1)
            subtotals.append(f"G{row}")
            row += 1
        sheet.append()
        sheet.append(
            [writer.cell("Total général estimé HT", GRAND_LABEL)]
            + [None] * (width - 2)
            + [writer.cell(_sum_of(subtotals), GRAND_AMOUNT)]
        )
        sheet.merge_last(1, width - 1)
        writer.protect(sheet)
        writer.print_setup(sheet, f"{commune.name} : besoins estimés")
        return writer.save(book)


def commune_annex_workbook(
    commune: CommuneColumn, lots: Sequence[TenderLot], *, edited_on: date | None = None
) -> bytes:
    """One commune's annex (see AnnexLots.workbook)."""
    return AnnexLots(lots).workbook(commune, edited_on)


class Annexes(Protocol):
    def __iter__(self) -> Iterator[bytes]: ...
    def close(self) -> None: ...


def annex_workbooks(
    communes: Sequence[CommuneColumn],
    lots: Sequence[TenderLot],
    *,
    edited_on: date | None = None,
    processes: int = 1,
) -> Annexes:
    """Each commune's annex, in the order given, one at a time; close() it if it is not iterated
    to the end. With `processes` > 1 and enough cells to be worth it, written by that many
    processes, the first ones from now on (while the caller writes the lot files); an annex is
    checked and refused (ValueError) there as here."""
    annexes = AnnexLots(lots)
    edited_on = edited_on or paris_today()
    cells = len(ANNEX_COLUMNS) * sum(len(commune.quantities) for commune in communes)
    if processes <= 1 or len(communes) < 2 or cells < POOL_MIN_CELLS:
        return _InProcess(annexes, communes, edited_on)
    return _Pooled(annexes, communes, edited_on, processes)


@dataclass
class PoolUse:
    """What the pool's processes used for their annexes (their time is not this process's, and
    they are the forkserver's children, not ours): for the benchmark's CPU clock and memory."""

    seconds: float = 0.0  # processor time, user and system
    peak_rss_mb: dict[int, float] = field(default_factory=dict)  # per process id, its own peak


pool_use = PoolUse()


class _Pooled:
    """The annexes written by a pool of processes forked from a forkserver that imported this
    module alone (no application, no database connection, no thread inherited); the lots are sent
    to each process once. The first annexes are under way from the start; results come back in
    order, at most 4 per process ahead of the caller, so memory stays that of a few annexes."""

    def __init__(self, annexes: AnnexLots, communes: Sequence[CommuneColumn], edited_on: date, processes: int):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        self.pool = ProcessPoolExecutor(processes, mp_context=context, initializer=_start, initargs=(annexes,))
        self.edited_on = edited_on
        self.queue = iter(communes)
        self.pending: deque[Future] = deque()
        for commune in islice(self.queue, 4 * processes):
            self.pending.append(self.pool.submit(_annex, commune, edited_on))

    def __iter__(self) -> Iterator[bytes]:
        while self.pending:
            content, seconds, pid, peak = self.pending.popleft().result()
            pool_use.seconds += seconds
            pool_use.peak_rss_mb[pid] = max(peak, pool_use.peak_rss_mb.get(pid, 0.0))
            commune = next(self.queue, None)
            if commune is not None:
                self.pending.append(self.pool.submit(_annex, commune, self.edited_on))
            yield content
        self.close()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _InProcess:
    def __init__(self, annexes: AnnexLots, communes: Sequence[CommuneColumn], edited_on: date):
        self.annexes, self.communes, self.edited_on = annexes, communes, edited_on

    def __iter__(self) -> Iterator[bytes]:
        return (self.annexes.workbook(commune, self.edited_on) for commune in self.communes)

    def close(self) -> None:
        pass


_annexes: AnnexLots | None = None  # in a pool's process: the lots it was started with


def _start(annexes: AnnexLots) -> None:
    global _annexes
    _annexes = annexes


def _annex(commune: CommuneColumn, edited_on: date) -> tuple[bytes, float, int, float]:
    started = time.process_time()
    assert _annexes is not None
    content = _annexes.workbook(commune, edited_on)
    return content, time.process_time() - started, os.getpid(), _own_peak_rss_mb()


def _own_peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# --- checks and small helpers -----------------------------------------------------------------


def _check_quantities(commune: CommuneColumn, lots: Sequence[TenderLot]) -> None:
    if all(quantity.__class__ is int and quantity >= 0 for quantity in commune.quantities.values()):
        return  # the usual case, in one pass over the commune's own quantities; else find the line to name
    for lot in lots:
        for line in lot.lines:
            quantity = commune.quantities.get(line.line_key, 0)
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
                raise ValueError(
                    f"quantité invalide ({quantity!r}) pour la commune {commune.name}, lot n° {lot.number}, "
                    f"ligne n° {line.number}"
                )


def _sum_of(cells: Sequence[str]) -> writer.Formula:
    """=SUM of single cells, nested when there are more than one SUM takes."""
    groups = [cells[index : index + MAX_SUM_ARGUMENTS] for index in range(0, len(cells), MAX_SUM_ARGUMENTS)]
    if len(groups) == 1:
        return writer.Formula(f"=SUM({','.join(cells)})")
    return writer.Formula("=SUM(" + ",".join(f"SUM({','.join(group)})" for group in groups) + ")")


__all__ = ["AnnexLots", "annex_workbooks", "commune_annex_workbook"]
