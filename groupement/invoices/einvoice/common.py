"""The limits and small helpers every reader of the package shares."""

from __future__ import annotations

import re

from groupement.core.files.upload_guard import megabytes
from groupement.core.imports import ImportIssue
from groupement.invoices.rules import InvoiceRefused

MAX_LINES = 5_000
EURO = "EUR"
MAX_NUMBER_LENGTH = 60
MAX_DESCRIPTION_LENGTH = 500
MAX_REASON_LENGTH = 200


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
