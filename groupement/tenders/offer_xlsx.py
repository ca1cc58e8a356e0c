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
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import load_workbook

# The checks of an uploaded archive are those of the needs workbook (same messages), with the limits of a DQE.
from groupement.core.files.upload_guard import CORRUPT_XLSX, MAX_UPLOAD_BYTES, OFFER_XLSX
from groupement.core.files.xlsx_guard import UploadRefused, check_xlsx
from groupement.core.imports import ImportIssue
from groupement.tenders.offer_sheet import OfferPrice, SheetReader, number
from groupement.tenders.tender_data import TenderLot
from groupement.tenders.tender_layout import dqe_sheet_title


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
    try:
        check_xlsx(content, OFFER_XLSX, max_bytes)  # bounded before openpyxl reads anything
    except UploadRefused as refusal:
        return OfferWorkbook({}, None, [ImportIssue(file_name, refusal.row, None, refusal.reason)])
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds (KeyError, XML errors, ValueError...)
        return OfferWorkbook({}, None, [ImportIssue(file_name, None, None, CORRUPT_XLSX)])
    try:
        title = _sheet_title(workbook.sheetnames, lot)
        sheet = workbook[title]
        sheet.reset_dimensions()  # the <dimension> tag may be wrong (some tools): read what is there
        reader = SheetReader(f"{file_name}, onglet « {title} »", lot)
        reader.read(sheet.iter_rows())
    except Exception:
        return OfferWorkbook({}, None, [ImportIssue(file_name, None, None, CORRUPT_XLSX)])
    finally:
        workbook.close()
    declared = reader.declared_total
    if reader.total_is_formula and not reader.issues:
        declared = _cached_total(content, title, reader.total_cell)
    return OfferWorkbook(reader.prices, declared, reader.issues, title)


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
            return number(value)
        return None
    except Exception:
        return None
    finally:
        workbook.close()


__all__ = ["OfferWorkbook", "read_offer_workbook"]
