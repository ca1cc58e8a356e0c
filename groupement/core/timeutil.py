"""Clock and time zone: stored times are UTC, shown times are Europe/Paris."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def utcnow() -> datetime:
    """Naive UTC, the one form stored in every database column."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_paris(moment: datetime) -> datetime:
    """A stored moment (naive, UTC) or an aware one, in Paris time. An aware moment is converted,
    never re-labelled: a Paris time passed twice stays the same time (the needs PDF at 23 h)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(PARIS)


def paris_today() -> date:
    """Today's date where the users are: at 00:30 in Paris it is already tomorrow, not yesterday's UTC date."""
    return to_paris(utcnow()).date()
