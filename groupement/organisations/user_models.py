from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from groupement.core.access import Actor, Role
from groupement.core.jobs import register_user_actor
from groupement.core.search_text import NAME_KEY_LENGTH, name_key
from groupement.core.timeutil import utcnow
from groupement.core.types import enum_column
from groupement.extensions import db
from groupement.organisations.models import Organisation


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Raised by logout, password change or reset and deactivation: every session cookie and
    # remember cookie carries the generation it was issued under (get_id) and dies with it.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # The name in lower case without accents (core/search_text.py), kept by the mapper events
    # below: the accounts' search compares it with LIKE, the same on SQLite and PostgreSQL.
    search_key: Mapped[str] = mapped_column(String(NAME_KEY_LENGTH), default="", server_default="")

    organisation: Mapped[Organisation] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        """Flask-Login's session and remember-cookie identifier: "id:generation"."""
        return f"{self.id}:{self.session_generation}"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.id, role=self.role, organisation_id=self.organisation_id)


@event.listens_for(User, "before_insert")
@event.listens_for(User, "before_update")
def _keep_search_key(_mapper, _connection, user: User) -> None:
    user.search_key = name_key(user.name)


class LoginThrottle(db.Model):
    """Failed logins of one account (or of one account on one known device), shared by every
    server process: the per-account throttle of organisations/login_throttle.py."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(320), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(default=None)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)


def _active_actor(user_id: int) -> Actor | None:
    """A job's user as they are now (core/jobs.job_actor): None once deactivated or deleted."""
    user = db.session.get(User, user_id)
    return user.actor if user is not None and user.active else None


register_user_actor(_active_actor)
