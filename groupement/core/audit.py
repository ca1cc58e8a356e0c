"""Appending to the audit trail: within the caller's transaction, never committed alone."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import insert

from groupement.core.audit_log import AuditEvent
from groupement.core.timeutil import utcnow
from groupement.extensions import db

_PLAIN = (str, int, float, bool, type(None))


def _jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:  # exact types: a StrEnum or an IntEnum is converted below
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, dict):
        return {k: v if type(v) in _PLAIN else _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [v if type(v) in _PLAIN else _jsonable(v) for v in value]
    return value


def record(
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: object,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=_jsonable(before),
        after=_jsonable(after),
    )
    db.session.add(event)
    return event


def record_many(
    actor_id: int | None,
    action: str,
    object_type: str,
    events: Iterable[tuple[object, dict | None, dict | None]],
) -> int:
    """As record, for many objects of one action at once: (object id, before, after) each.

    One multi-row INSERT instead of one ORM object per event: an import of 5 000 lines writes
    5 000 events. Returns how many were written.
    """
    occurred_at = utcnow()
    rows = [
        {
            "occurred_at": occurred_at,
            "actor_id": actor_id,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "before": _jsonable(before),
            "after": _jsonable(after),
        }
        for object_id, before, after in events
    ]
    if rows:
        db.session.execute(insert(AuditEvent), rows)
    return len(rows)
