"""The per-account login throttle: slows password guessing without ever locking the owner out.

Every server process reads and writes the same rows (table login_throttle), so the limit holds
whatever the number of workers or servers. An attempt is counted *before* its password is
checked (the row is locked, then compare-and-set on the failure count): two simultaneous
attempts on two workers cannot both slip under the limit. The right password clears the count.

- the first FREE_FAILURES failures cost nothing (typos);
- after that, each failure sets a delay before the next attempt: 30 s, 1 min, 2 min… capped at
  MAX_DELAY. An attempt arriving earlier is refused without its password being checked, with
  a French message giving the time to retry. The delay always ends: no permanent lock;
- failures are forgotten FORGET_AFTER after the last one: three typos today and two next month
  are not five in a row;
- a browser in which the account has already logged in carries a signed device cookie; its
  attempts are counted under their own key (account + device), so an attacker's failures from
  elsewhere do not hold the owner back on their usual device (the OWASP "device cookie" idea).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError

from groupement.core import transaction
from groupement.core.errors import ServiceError
from groupement.core.timeutil import to_paris, utcnow
from groupement.extensions import db
from groupement.organisations.user_models import LoginThrottle

FREE_FAILURES = 5
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)  # failures older than that (no failure since) count no more
DEVICE_COOKIE = "groupement_appareil"
DEVICE_COOKIE_MAX_AGE = 365 * 24 * 3600
_DEVICE_SALT = "groupement.appareil-connu"


class LoginThrottled(ServiceError):
    """Too early: the attempt is refused before its password is read."""

    def __init__(self, retry_at: datetime, now: datetime):
        self.retry_at = retry_at
        seconds = max(1, int((retry_at - now).total_seconds() + 0.999))
        wait = f"{seconds} seconde{'s' if seconds > 1 else ''}" if seconds < 120 else f"{(seconds + 59) // 60} minutes"
        super().__init__(
            "Trop de tentatives de connexion pour ce compte. Réessayez à partir de "
            f"{to_paris(retry_at).strftime('%H:%M:%S')} (heure de Paris), dans {wait}."
        )


def _next_attempt(failures: int, now: datetime) -> datetime | None:
    delay = delay_after(failures)
    return now + delay if delay else None


def delay_after(failures: int) -> timedelta:
    """The wait imposed after `failures` consecutive failures: none, then doubling, capped."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(BASE_DELAY * 2 ** min(failures - FREE_FAILURES, 20), MAX_DELAY)


def enabled() -> bool:
    # One switch for both login limits (the per-address limit is Flask-Limiter's): tests turn it off.
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def account_key(email: str, device: str | None = None) -> str:
    return f"{email}|{device}" if device else email


def claim_attempt(key: str, clock=utcnow) -> None:
    """Count one attempt for `key` as a failure in advance, or raise LoginThrottled if too early.

    Called before the password is checked; `succeeded(key)` clears the count. The row lock
    (PostgreSQL) and the compare-and-set on the count (any database) make concurrent attempts
    queue: the second sees the first's failure and its delay.
    """
    # The login is a POST: on SQLite its transaction began IMMEDIATE (core/transaction.py), so
    # attempts from several processes queue on the write lock instead of failing "locked".
    return _claim(key, clock)


def _claim(key: str, clock) -> None:
    for _ in range(5):
        row = db.session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
        now = clock()  # read once the row is ours: an attempt that waited is judged when it runs
        if row is None:
            try:
                with transaction.savepoint():
                    db.session.add(
                        LoginThrottle(key=key, failures=1, last_failure_at=now, next_attempt_at=_next_attempt(1, now))
                    )
            except IntegrityError:
                continue  # another process recorded the first failure meanwhile: read it
            return
        if row.next_attempt_at is not None and now < row.next_attempt_at:
            raise LoginThrottled(row.next_attempt_at, now)
        forgotten = row.last_failure_at is not None and now - row.last_failure_at > FORGET_AFTER
        failures = 1 if forgotten else row.failures + 1
        claimed = db.session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key, LoginThrottle.failures == row.failures)
            .values(failures=failures, last_failure_at=now, next_attempt_at=_next_attempt(failures, now))
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:
            return
    now = clock()
    raise LoginThrottled(now + BASE_DELAY, now)


def succeeded(key: str, clock=utcnow) -> None:
    """The right password: the count of `key` is cleared, and so are the counts forgotten anyway
    (addresses typed once by someone, never again), so that the table stays small."""
    db.session.execute(
        delete(LoginThrottle)
        .where(or_(LoginThrottle.key == key, LoginThrottle.last_failure_at < clock() - FORGET_AFTER))
        .execution_options(synchronize_session=False)
    )


def status(key: str) -> LoginThrottle | None:
    return db.session.get(LoginThrottle, key, populate_existing=True)


# --- the known-device cookie ------------------------------------------------------------------


@dataclass(frozen=True)
class Device:
    email: str
    nonce: str


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_DEVICE_SALT)


def new_device_cookie(email: str) -> str:
    return _serializer().dumps({"e": email, "n": secrets.token_urlsafe(16)})


def device_of(cookie: str | None, email: str) -> str | None:
    """The device nonce of a valid cookie issued to this account, or None."""
    if not cookie:
        return None
    try:
        data = _serializer().loads(cookie)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("e") != email or not isinstance(data.get("n"), str):
        return None
    return data["n"]
