"""Searches by words: every LIKE of a search box goes through here, its wildcards escaped.

A visitor's '%' or '_' is a character to find, not a pattern: `q=%` finds the rows that contain
a per cent sign, not every row.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

LIKE_ESCAPE = "\\"


def like_escaped(text: str) -> str:
    """`text` with LIKE's wildcards and the escape character escaped."""
    return text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")


def contains(expression: ColumnElement, word: str) -> ColumnElement[bool]:
    """`expression` contains `word` as typed (case as given: lower both sides for a case-blind search)."""
    return expression.like(f"%{like_escaped(word)}%", escape=LIKE_ESCAPE)
