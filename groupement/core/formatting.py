"""French display formats: 1 234,56 €, 28/11/2026, 14:05. Used by pages, exports and the CLI."""

from __future__ import annotations

import errno
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal

from babel.numbers import format_currency, format_decimal

from groupement.core.timeutil import to_paris

LOCALE = "fr_FR"


# A page formats thousands of numbers (the needs grid: 2 000 lines, two amounts and a quantity
# each) at 15 to 30 µs apiece in babel, and the same ones come back request after request (unit
# prices, zero). So euros() and number() keep what babel answered, per process, keyed by type and
# exact text, never by value alone: Decimal("-0") == Decimal("0") but prints "-0,00 €".
# A pure function's memo, not state: bounded, emptied when full.
_FORMATTED: dict[tuple, str] = {}
_FORMATTED_MAX = 50_000


def _remember(key: tuple, text: str) -> str:
    if len(_FORMATTED) >= _FORMATTED_MAX:
        _FORMATTED.clear()
    _FORMATTED[key] = text
    return text


# The lookup is written out in euros() and number(), without a callback: they run a few hundred
# times a page, and the dictionary hit is then all they cost.
def euros(amount: Decimal | int | None) -> str:
    if amount is None:
        return "—"
    key = ("€", type(amount), str(amount))
    text = _FORMATTED.get(key)
    if text is None:
        text = _remember(key, format_currency(amount, "EUR", locale=LOCALE))
    return text


def number(value: Decimal | int | None, decimals: int | None = None) -> str:
    if value is None:
        return "—"
    key = ("n", type(value), str(value), decimals)
    text = _FORMATTED.get(key)
    if text is None:
        text = _remember(key, _number(value, decimals))
    return text


def _number(value: Decimal | int, decimals: int | None) -> str:
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


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str, length: int = 60, *, default: str = "fichier") -> str:
    """A piece of file name any system accepts: 'Lot 2 - Papier et enveloppes' -> 'lot-2-papier-et-enveloppes'.

    ASCII lowercase letters, digits and single hyphens, accents folded ('Échirolles' -> 'echirolles'),
    at most `length` characters, never a hyphen at either end (also after the cut); `default`
    when nothing is left ('—', '').
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")[:length].rstrip("-") or default


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
