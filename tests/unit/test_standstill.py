"""The standstill period (R2182-1) counted in calendar days, date to date, the day of sending
included (CE, 2 août 2011, n° 347526), from the rule in force on the day of sending."""

from __future__ import annotations

from datetime import date

import pytest

from groupement.tenders.standstill import NoRuleForDate, required, rule_on, standstill


def test_the_council_of_state_case_letters_posted_on_28_december_end_on_12_january():
    # CE, 2 août 2011, n° 347526: posted on 28/12/2010, the period expired on 12/01/2011 in the
    # evening, signing on 13/01/2011 was lawful (the same 16 days under today's rule).
    period = standstill(date(2016, 12, 28), electronic=False)
    assert (period.last_day, period.first_signing_day) == (date(2017, 1, 12), date(2017, 1, 13))


def test_no_rule_is_known_before_the_2016_decree():
    with pytest.raises(NoRuleForDate):
        standstill(date(2010, 12, 28), electronic=False)


def test_letters_not_sent_electronically_wait_sixteen_days_the_day_of_sending_counted():
    period = standstill(date(2026, 12, 28), electronic=False)
    assert period.days == 16
    assert period.last_day == date(2027, 1, 12)
    assert period.first_signing_day == date(2027, 1, 13)


def test_letters_sent_electronically_wait_eleven_days():
    period = standstill(date(2026, 12, 1), electronic=True)
    assert period.days == 11
    assert period.last_day == date(2026, 12, 11)
    assert period.first_signing_day == date(2026, 12, 12)


def test_a_period_ending_on_a_weekend_is_not_extended_calendar_days_only():
    # Sent on Wednesday 2 December 2026: the period ends on Saturday 12, signing allowed on Sunday 13.
    period = standstill(date(2026, 12, 2), electronic=True)
    assert period.last_day == date(2026, 12, 12) and period.last_day.isoweekday() == 6
    assert period.allows(date(2026, 12, 13))
    assert not period.allows(date(2026, 12, 12))


def test_the_refusal_names_the_end_of_the_period_and_the_first_day_allowed():
    period = standstill(date(2026, 12, 1), electronic=True)
    message = period.refusal(date(2026, 12, 11))
    assert "jusqu'au 11/12/2026 inclus" in message
    assert "à partir du 12/12/2026" in message
    assert "R2182-1" in message
    assert period.refusal(date(2026, 12, 12)) is None


def test_the_rule_in_force_is_the_one_of_the_day_of_sending():
    assert rule_on(date(2019, 3, 31)).source == "décret n° 2016-360, art. 101"
    assert rule_on(date(2019, 4, 1)).source == "Code de la commande publique, art. R2182-1"
    assert standstill(date(2019, 4, 1), electronic=True).source.endswith("R2182-1")


@pytest.mark.parametrize(
    ("formal", "offers", "expected"),
    [(True, 3, True), (True, 2, True), (True, 1, False), (False, 5, False)],
)
def test_only_a_formal_procedure_with_rejected_bidders_needs_a_standstill(formal, offers, expected):
    assert required(formal_procedure=formal, offers_received=offers) is expected
