"""'Today' is the date in Paris: the CI run that failed at 00:15 Paris time (23:15 UTC) used the server's date."""

from datetime import date, datetime

import pytest

from groupement.core import timeutil


@pytest.mark.parametrize(
    ("utc", "paris_date"),
    [
        (datetime(2026, 11, 28, 22, 59), date(2026, 11, 28)),  # 23:59 in Paris, winter time (UTC+1)
        (datetime(2026, 11, 28, 23, 15), date(2026, 11, 29)),  # 00:15 in Paris, the UTC date is a day behind
        (datetime(2026, 7, 14, 21, 59), date(2026, 7, 14)),  # 23:59 in Paris, summer time (UTC+2)
        (datetime(2026, 7, 14, 22, 0), date(2026, 7, 15)),
        (datetime(2026, 12, 31, 23, 0), date(2027, 1, 1)),  # New Year in Paris an hour before UTC
    ],
)
def test_today_is_the_date_in_paris_not_the_utc_date(monkeypatch, utc, paris_date):
    monkeypatch.setattr(timeutil, "utcnow", lambda: utc)
    assert timeutil.paris_today() == paris_date
