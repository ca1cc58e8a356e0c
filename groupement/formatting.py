"""French display formats: 1 234,56 €, 28/11/2026, 14:05. Used by pages, exports and the CLI."""

from __future__ import annotations

import errno
import unicodedata
from datetime import date, datetime
from decimal import Decimal

from babel.numbers import format_currency, format_decimal

from groupement.timeutil import to_paris

LOCALE = "fr_FR"


def euros(amount: Decimal | int | None) -> str:
    if amount is None:
        return "—"
    return format_currency(amount, "EUR", locale=LOCALE)


def number(value: Decimal | int | None, decimals: int | None = None) -> str:
    if value is None:
        return "—"
    if decimals is None:
        return format_decimal(value, locale=LOCALE)
    pattern = "#,##0." + "0" * decimals if decimals else "#,##0"
    return format_decimal(value, format=pattern, locale=LOCALE)


def percent(rate: Decimal | None) -> str:
    """A rate stored as 20.00 (per cent) -> '20 %'."""
    if rate is None:
        return "—"
    return format_decimal(rate, format="#,##0.##", locale=LOCALE) + "\u00a0%"


def date_fr(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = to_paris(value)
    return value.strftime("%d/%m/%Y")


def datetime_fr(value: datetime | None) -> str:
    if value is None:
        return "—"
    return to_paris(value).strftime("%d/%m/%Y à %H:%M")


def name_key(name: str) -> str:
    """Alphabetical order as a French reader expects it, the same on every database:
    accents and case ignored (Écharlière between Eaux and Eybens)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


OS_REASONS = {
    errno.ENOSPC: "disque plein",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EISDIR: "c'est un dossier",
    errno.EROFS: "système de fichiers en lecture seule",
}


def os_reason(error: OSError) -> str:
    """The system's reason for a failed read or write, in French."""
    return OS_REASONS.get(error.errno, error.strerror or "erreur du système")
