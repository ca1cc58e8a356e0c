"""The limits and small helpers every reader of the package shares."""

from __future__ import annotations

import re
from datetime import date

from groupement.core.files.upload_guard import megabytes
from groupement.core.formatting import date_fr
from groupement.core.imports import ImportIssue
from groupement.invoices.rules import InvoiceRefused

MAX_LINES = 5_000
EURO = "EUR"
MAX_NUMBER_LENGTH = 60
MAX_DESCRIPTION_LENGTH = 500
MAX_REASON_LENGTH = 200

# Plausible invoice dates (issue 13): 0001-01-01 and 9999-12-31 are typing or program errors.
EARLIEST_INVOICE_DATE = date(2000, 1, 1)
ISSUE_DATE_YEARS_AHEAD = 1  # an issue date at most a year after today
DUE_DATE_YEARS_AHEAD = 10  # a due date at most ten years after today


def refused(file_name: str, reason: str, row: int | None = None, column: str | None = None) -> InvoiceRefused:
    return InvoiceRefused([ImportIssue(file_name, row, column, reason)])


def too_large(size: int, limit: int) -> str:
    return f"fichier trop volumineux ({megabytes(size)} ; {megabytes(limit)} au plus)"


def vat_number(text: str | None) -> str | None:
    if not text:
        return None
    return re.sub(r"[\s.\-]", "", text).upper() or None


def clip(text: str | None, limit: int) -> str:
    return (text or "")[:limit]


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def implausible_date(value: date, today: date, *, due: bool = False) -> str | None:
    """Why an invoice's issue date (BT-2) or due date (BT-9) is out of the plausible window, in
    French; None when it is within (EARLIEST_INVOICE_DATE to today plus one or ten years)."""
    latest = _years_after(today, DUE_DATE_YEARS_AHEAD if due else ISSUE_DATE_YEARS_AHEAD)
    if EARLIEST_INVOICE_DATE <= value <= latest:
        return None
    return (
        f"date invraisemblable « {value.day:02d}/{value.month:02d}/{value.year:04d} » : "
        f"entre le {date_fr(EARLIEST_INVOICE_DATE)} et le {date_fr(latest)} attendue"
    )
