"""Counting the SQL statements that a piece of code sends (N+1 checks)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event

# The test's outer transaction wraps each session in a savepoint: those are not the code's queries.
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN")


def count_queries(engine, action: Callable[[], object]) -> int:
    statements: list[str] = []

    def count(connection, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)
