from datetime import date, datetime, timedelta

import pytest

from groupement.campaigns.reminder_rules import (
    NoReminderInterval,
    ReminderInterval,
    interval_label,
    may_remind,
    next_reminder_at,
    reminder_interval,
)


def test_one_reminder_a_day_is_the_interval_in_force_today():
    assert reminder_interval(date(2026, 12, 2)) == timedelta(hours=24)


def test_the_interval_is_chosen_by_date_from_the_dated_table():
    table = (
        ReminderInterval(date(2026, 1, 1), date(2026, 12, 31), timedelta(hours=24)),
        ReminderInterval(date(2027, 1, 1), None, timedelta(hours=48)),
    )
    assert reminder_interval(date(2026, 12, 31), table) == timedelta(hours=24)
    assert reminder_interval(date(2027, 1, 1), table) == timedelta(hours=48)
    with pytest.raises(NoReminderInterval, match="31/12/2025"):
        reminder_interval(date(2025, 12, 31), table)


def test_a_commune_may_be_reminded_again_once_the_interval_has_passed_not_before():
    sent = datetime(2026, 12, 2, 13, 5)
    day = timedelta(hours=24)
    assert next_reminder_at(sent, day) == datetime(2026, 12, 3, 13, 5)
    assert not may_remind(sent, datetime(2026, 12, 3, 13, 4), day)
    assert may_remind(sent, datetime(2026, 12, 3, 13, 5), day)
    assert may_remind(None, sent, day)


def test_the_interval_reads_in_hours_or_minutes():
    assert interval_label(timedelta(hours=24)) == "24 h"
    assert interval_label(timedelta(minutes=90)) == "90 min"
