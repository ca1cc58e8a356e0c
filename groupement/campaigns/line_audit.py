"""Who changed a need line, when, from what to what: read from the audit trail, where a save in
the grid writes one event per line (need_line.create / need_line.update) and an Excel import one
event for the whole file (needs.import, its changed lines in `after["changes"]`: item id, ref,
quantity before and after, comment). Both are merged here, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from groupement.core.audit_log import AuditEvent
from groupement.extensions import db

IMPORT_ACTION = "needs.import"


@dataclass(frozen=True)
class LineChange:
    at: datetime
    by: str
    before: int | None
    after: int
    comment: str


def import_change(item_id: int, ref: str, before: tuple[int, str] | None, quantity: int, comment: str) -> dict:
    """One line of an import's audit event: what it was (None: no line yet) and what it became."""
    return {
        "item_id": item_id,
        "ref": ref,
        "before": None if before is None else before[0],
        "before_comment": None if before is None else before[1],
        "quantity": quantity,
        "comment": comment,
    }


def line_changes(submission_id: int, line_id: int, item_id: int) -> list[LineChange]:
    """Every recorded change of the line, newest first (the grid's and the imports')."""
    events = db.session.scalars(
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(AuditEvent.object_type == "need_line", AuditEvent.object_id == str(line_id))
    ).all()
    changes = [
        (
            event.occurred_at,
            event.id,
            LineChange(
                at=event.occurred_at,
                by=_by(event),
                before=(event.before or {}).get("quantity"),
                after=(event.after or {}).get("quantity"),
                comment=(event.after or {}).get("comment", ""),
            ),
        )
        for event in events
    ]
    imports = db.session.scalars(
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(
            AuditEvent.object_type == "submission",
            AuditEvent.object_id == str(submission_id),
            AuditEvent.action == IMPORT_ACTION,
        )
    ).all()
    for event in imports:
        for change in (event.after or {}).get("changes", ()):
            if change.get("item_id") == item_id:
                line = LineChange(
                    event.occurred_at, _by(event), change["before"], change["quantity"], change["comment"]
                )
                changes.append((event.occurred_at, event.id, line))
    changes.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
    return [change for _, _, change in changes]


def _by(event: AuditEvent) -> str:
    return event.actor.name if event.actor else "système"
