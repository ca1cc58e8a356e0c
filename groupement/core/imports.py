"""The shared shape of an import problem: which file, which row, which column, why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class ImportIssue:
    file: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"ligne {self.row}")
        if self.column:
            where.append(f"colonne « {self.column} »")
        return ", ".join(where) + f" : {self.reason}"


@dataclass(frozen=True)
class RawRow:
    """One data row of an uploaded table, as text keyed by column title, with where it came from."""

    file: str
    line: int
    values: Mapping[str, str]
