"""The query string read by the routes (searches, filters, pages, ids): one place that validates it.

A NUL byte never gets this far (the before_request of groupement/web answers 400). Here: text
trimmed and capped, whole numbers of ASCII digits within bounds, ids in the database range
(a wrong one is 404, like a wrong id in the path), choices among known values; only these
validated values are passed on to url_for, never request.args as such.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import request

from groupement.core.errors import NotFound
from groupement.web.forms import DB_INT_MAX, parse_bounded_int, parse_id

SEARCH_MAX_LENGTH = 100


def text_arg(name: str, max_length: int = SEARCH_MAX_LENGTH) -> str:
    """The argument's text, trimmed, cut to max_length; '' when absent."""
    value = request.args.get(name, "")
    return value.replace("\x00", "").strip()[:max_length]


def int_arg(name: str, default: int, minimum: int = 1, maximum: int = DB_INT_MAX) -> int:
    """A whole number within bounds; the default when absent or unreadable (a page number)."""
    try:
        value = parse_bounded_int(request.args.get(name, ""), minimum, maximum)
    except ValueError:
        return default
    return default if value is None else value


def id_arg(name: str, message: str = "Page introuvable.") -> int | None:
    """An optional row id: None when absent, NotFound (404) when it cannot be one."""
    value = request.args.get(name, "")
    if not value:
        return None
    try:
        return parse_id(value)
    except ValueError:
        raise NotFound(message) from None


def choice_arg(name: str, choices: Iterable[str]) -> str:
    """The argument when it is one of `choices`, else ''."""
    value = request.args.get(name, "")
    return value if value in set(choices) else ""


def optional_id_arg(name: str) -> int | None:
    """A list filter's row id (a commune, a supplier…): None when absent or unreadable. The list's
    query stays scoped, so an id the actor may not reach only gives an empty list."""
    try:
        return parse_id(request.args.get(name, ""))
    except ValueError:
        return None


def year_arg(name: str = "annee") -> int | None:
    """A year filter: None when absent or not a year between 2000 and 2100."""
    value = int_arg(name, 0, minimum=2000, maximum=2100)
    return value or None


def kept_args(**values: object) -> dict[str, object]:
    """The validated filters worth keeping in the links of a list (pages, export), empty ones left out."""
    return {name: value for name, value in values.items() if value not in (None, "")}
