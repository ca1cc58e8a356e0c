"""How often a commune may be reminded of a campaign: dated data, in one place (pure).

A reminder sent, the same commune is not written to again for the same campaign before the
interval in force that day has passed: a double click, or the button pressed after the cron,
sends once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class ReminderInterval:
    effective_from: date
    effective_to: date | None  # inclusive; None: still in force
    interval: timedelta

    def applies(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


# The house rule, not a legal value: one reminder per commune and campaign a day at most.
REMINDER_INTERVALS: tuple[ReminderInterval, ...] = (ReminderInterval(date(2020, 1, 1), None, timedelta(hours=24)),)


class NoReminderInterval(LookupError):
    pass


def reminder_interval(day: date, table: tuple[ReminderInterval, ...] = REMINDER_INTERVALS) -> timedelta:
    """The minimum time between two reminders of one commune, as in force on `day`."""
    for entry in table:
        if entry.applies(day):
            return entry.interval
    raise NoReminderInterval(f"Aucun intervalle de relance en vigueur le {day:%d/%m/%Y}.")


def next_reminder_at(last_sent_at: datetime, interval: timedelta) -> datetime:
    """The first moment the commune may be reminded again."""
    return last_sent_at + interval


def may_remind(last_sent_at: datetime | None, now: datetime, interval: timedelta) -> bool:
    return last_sent_at is None or next_reminder_at(last_sent_at, interval) <= now


def interval_label(interval: timedelta) -> str:
    """« 24 h », « 30 min »: the interval as the messages say it."""
    minutes = int(interval.total_seconds() // 60)
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"
