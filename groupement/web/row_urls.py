"""One URL per row of a long list at the cost of a single url_for.

url_for resolves the rule, its defaults and the converters each time (≈ 10 µs): 50 to 100 rows
of a page pay it for every link. `url_pattern` asks url_for once, with a marker in place of the
row's id, and answers each row by putting the id where the marker was: the same text url_for
would give for an <int:…> argument (the int converter writes str(id)).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import url_for

# Beyond the database integer (web.DatabaseIdConverter's maximum): no row has this id, so it cannot
# be mistaken for another part of the URL. url_for writes it (the converter bounds only what it reads).
MARKER = 987_654_321_012


def url_pattern(endpoint: str, key: str, **values) -> Callable[[int], str]:
    """A function of a row's id giving url_for(endpoint, **{key: id}, **values)."""
    url = url_for(endpoint, **values, **{key: MARKER})
    head, marker, tail = url.partition(str(MARKER))
    if not marker or str(MARKER) in tail:
        raise ValueError(f"{endpoint}: {key} n'apparaît pas une fois dans {url}")
    return lambda row_id: f"{head}{int(row_id)}{tail}"
