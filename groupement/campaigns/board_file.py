"""The campaign board as a spreadsheet: the columns of the page, one line per commune (every
page of the board), then the totals. Dates are Paris time, as the page shows them."""

from __future__ import annotations

from datetime import datetime

from groupement.campaigns.board import Board, BoardRow
from groupement.core.files.xlsx import DATETIME_FORMAT, EURO_FORMAT, Column, table_bytes
from groupement.core.timeutil import to_paris

BOARD_COLUMNS_BEFORE = [
    Column("Commune", 30),
    Column("Code INSEE", 11),
    Column("Statut", 14),
    Column("Dernière modification", 18, DATETIME_FORMAT),
    Column("Par", 25),
    Column("Dernière relance", 18, DATETIME_FORMAT),
    Column("Relancée par", 25),
    Column("Relance", 26),
]
AUTOMATIC_REMINDER = "relance automatique"
LOGGED_ONLY = "journalisée, non envoyée"
SENT = "envoyée"


def _paris(moment: datetime | None) -> datetime | None:
    """A naive Paris date and time to the second: what a spreadsheet cell holds."""
    return to_paris(moment).replace(tzinfo=None, microsecond=0) if moment else None


def _last_reminder(row: BoardRow) -> tuple[datetime | None, str, str]:
    """When, by whom (the automatic reminder has no author) and whether it left or was only logged."""
    if row.last_reminder_at is None:
        return None, "", ""
    return (
        _paris(row.last_reminder_at),
        row.last_reminder_by or AUTOMATIC_REMINDER,
        SENT if row.last_reminder_delivered else LOGGED_ONLY,
    )


def board_xlsx(board: Board) -> bytes:
    """One line per commune, amounts per family, then the totals.

    A family the commune did not join is left empty (it is not a zero need)."""
    columns = [
        *BOARD_COLUMNS_BEFORE,
        *(Column(f"Montant estimé HT – {family.label}", 18, EURO_FORMAT) for family in board.families),
        Column("Montant estimé HT – total", 18, EURO_FORMAT),
    ]

    def lines():
        for row in board.rows:
            yield (
                row.commune_name,
                row.insee_code or "",
                row.status_label + (" (rouverte)" if row.reopened else ""),
                _paris(row.updated_at),
                row.updated_by or "",
                *_last_reminder(row),
                *(row.amounts.get(family) for family in board.families),
                row.amount,
            )
        yield (
            "Total",
            "",
            "",
            None,
            "",
            None,
            "",
            "",
            *(board.totals[family] for family in board.families),
            board.total,
        )

    return table_bytes("Suivi de la campagne", columns, lines())
