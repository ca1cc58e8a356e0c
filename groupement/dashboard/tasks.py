"""A home's to-do list: small tasks, each a count with its link, most urgent first. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum

SOON_DAYS = 7  # a deadline within this many days is "bientôt"


class Urgency(IntEnum):
    """Lower first: what is late or blocks someone, then what falls due soon, then the rest."""

    LATE = 0
    SOON = 1
    TODO = 2

    @property
    def label(self) -> str:
        return {0: "urgent", 1: "bientôt", 2: "à faire"}[self.value]


@dataclass(frozen=True)
class Task:
    kind: str  # stable name of the task kind (tests, CSS): "needs_to_fill", "titles_past_due"…
    label: str  # French, already agreed with the count: « 3 communes n'ont pas validé leurs besoins »
    count: int
    endpoint: str  # the page where the work is done: url_for(endpoint, **params)
    params: dict = field(default_factory=dict)
    urgency: Urgency = Urgency.TODO
    due_on: date | None = None  # Paris date of the deadline, if any (sorting)
    when: str = ""  # the deadline or the date that matters, in French: « date limite le 15/01/2027 à 17:00 »
    detail: str = ""  # one more fact: « dernière relance le 28/11/2026 à 09:15 »


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """« 1 commune », « 3 communes », « 0 commune » (French: below 2 is singular)."""
    word = singular if abs(count) < 2 else (plural_form or singular + "s")
    return f"{count} {word}"


def urgency_of(due_on: date | None, today: date, soon_days: int = SOON_DAYS) -> Urgency:
    """Past or today: late; within soon_days: soon; otherwise (or no deadline) to do."""
    if due_on is None:
        return Urgency.TODO
    if due_on <= today:
        return Urgency.LATE
    if (due_on - today).days <= soon_days:
        return Urgency.SOON
    return Urgency.TODO


def by_urgency(tasks: list[Task]) -> list[Task]:
    """Most urgent first; among equals the nearest deadline, then tasks without one, by label."""
    return sorted(
        (t for t in tasks if t.count > 0),
        key=lambda t: (t.urgency, t.due_on is None, t.due_on or date.max, t.label),
    )
