"""Accounts: authentication, sessions that can be revoked, passwords (change, reset by e-mail),
creation, deactivation and reactivation by the administrator."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from groupement.core import audit
from groupement.core.access import Actor, Role, can_manage_users, role_fits_organisation
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.mail import send_mail
from groupement.core.search import contains
from groupement.core.search_text import search_words
from groupement.extensions import db
from groupement.organisations import login_throttle, passwords
from groupement.organisations.models import Organisation
from groupement.organisations.user_models import User
from groupement.web.pagination import Choice, capped_choices, paginate

MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
RESET_MAX_AGE = 3600  # seconds a reset link stays valid
_RESET_SALT = "groupement.reinitialisation-mot-de-passe"
# Compared against when the email is unknown, so that both paths take the same time.
_DUMMY_HASH = generate_password_hash("mot-de-passe-factice")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def authenticate(email: str, password: str) -> User | None:
    """The user, or None whether the email is unknown, the password wrong or the account closed."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def attempt_login(email: str, password: str, device_cookie: str | None = None) -> User | None:
    """One login attempt through the per-account throttle (organisations/login_throttle.py).

    Raises LoginThrottled (French message with the time to retry) when the attempt comes too
    early, before the password is read; the user or None otherwise, as `authenticate`.
    """
    email = normalise_email(email)
    if not login_throttle.enabled():
        return authenticate(email, password)
    key = login_throttle.account_key(email, login_throttle.device_of(device_cookie, email))
    login_throttle.claim_attempt(key)
    user = authenticate(email, password)
    if user is not None:
        # Clears this key only: the owner logging in on their known device leaves the failures
        # counted elsewhere (an attacker's) where they are.
        login_throttle.succeeded(key)
    return user


def check_password_rules(password: str, email: str = "", name: str = "") -> None:
    passwords.check_password(password, email=email, name=name)


# --- sessions --------------------------------------------------------------------------------


def user_of_session(session_id: str) -> User | None:
    """Flask-Login's user_loader: "id:generation" from the session or the remember cookie.

    None (logged out at once) when the account is closed or the generation has moved on
    (logout, password change or reset, deactivation), and for any other shape of identifier.
    """
    user_id, _, generation = (session_id or "").partition(":")
    if not (user_id.isascii() and user_id.isdigit() and generation.isascii() and generation.isdigit()):
        return None
    if len(user_id) > 10 or len(generation) > 18 or int(user_id) >= 2**31:  # an INTEGER column
        return None
    # Its organisation in the same SELECT: every page's header names it (one query less a page).
    user = db.session.get(User, int(user_id), options=[joinedload(User.organisation)])
    if user is None or not user.active or user.session_generation != int(generation):
        return None
    return user


def revoke_sessions(user: User) -> None:
    """Every session and remember cookie issued so far stops working at its next request."""
    user.session_generation += 1
    db.session.flush()


def log_out(user: User) -> None:
    revoke_sessions(user)
    audit.record(user.id, "user.logout", "user", user.id)
    db.session.flush()


# --- passwords -------------------------------------------------------------------------------


def _set_new_password(user: User, new_password: str, confirm: str | None) -> None:
    if confirm is not None and new_password != confirm:
        raise ServiceError("Les deux mots de passe diffèrent.")
    check_password_rules(new_password, user.email, user.name)
    if user.check_password(new_password):
        raise ServiceError("Le nouveau mot de passe doit différer de l'actuel.")
    user.set_password(new_password)
    revoke_sessions(user)


def change_password(user: User, current_password: str, new_password: str, confirm: str | None = None) -> None:
    """The user's own change: the current password is required; every other session ends."""
    if not user.check_password(current_password):
        raise ServiceError("Le mot de passe actuel est incorrect.")
    _set_new_password(user, new_password, confirm)
    audit.record(user.id, "user.password_change", "user", user.id)
    db.session.flush()


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_RESET_SALT)


def _password_fingerprint(user: User) -> str:
    # Changes with the password, so that a link works once and dies with any password change;
    # a digest, since the link's payload is signed, not encrypted.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def reset_token(user: User) -> str:
    return _reset_serializer().dumps({"u": user.id, "p": _password_fingerprint(user)})


def request_password_reset(email: str, link_for) -> None:
    """Mail a reset link to the account of `email` if there is an active one; say nothing either
    way (the page shows the same message, so that addresses cannot be probed).

    `link_for(token)` makes the absolute link (the route knows its URL).
    """
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.active:
        return
    minutes = RESET_MAX_AGE // 60
    send_mail(
        [user.email],
        "Réinitialisation de votre mot de passe",
        f"Bonjour {user.name},\n\n"
        "Une réinitialisation du mot de passe de votre compte sur l'application du groupement de "
        "commandes a été demandée. Pour choisir un nouveau mot de passe, ouvrez ce lien :\n\n"
        f"{link_for(reset_token(user))}\n\n"
        f"Ce lien ne sert qu'une fois et expire dans {minutes} minutes. Si vous n'êtes pas à "
        "l'origine de cette demande, ignorez ce message : votre mot de passe reste inchangé.\n",
    )
    audit.record(None, "user.password_reset_request", "user", user.id)
    db.session.flush()


def user_of_reset_token(token: str) -> User:
    """The user a valid, unused, unexpired link was made for, or ServiceError (French)."""
    max_age = current_app.config.get("PASSWORD_RESET_MAX_AGE", RESET_MAX_AGE)
    try:
        data = _reset_serializer().loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise ServiceError("Ce lien de réinitialisation a expiré : demandez-en un nouveau.") from error
    except BadSignature as error:
        raise ServiceError("Ce lien de réinitialisation est invalide.") from error
    user = None
    if isinstance(data, dict) and isinstance(data.get("u"), int) and 0 < data["u"] < 2**31:
        user = db.session.get(User, data["u"])
    if user is None or not user.active or data.get("p") != _password_fingerprint(user):
        raise ServiceError("Ce lien de réinitialisation a déjà servi ou n'est plus valable : demandez-en un nouveau.")
    return user


def reset_password(token: str, new_password: str, confirm: str | None = None) -> User:
    user = user_of_reset_token(token)
    _set_new_password(user, new_password, confirm)
    login_throttle.succeeded(login_throttle.account_key(user.email))
    audit.record(user.id, "user.password_reset", "user", user.id)
    db.session.flush()
    return user


# --- administration --------------------------------------------------------------------------


def set_active(actor: Actor, user_id: int, active: bool) -> User:
    """Deactivate (logged out at the next request, login refused) or reactivate an account."""
    if not can_manage_users(actor):
        raise Forbidden("Seul un administrateur peut désactiver ou réactiver des comptes.")
    from groupement.organisations import scope

    user = db.session.scalar(scope.users(actor).where(User.id == user_id))
    if user is None:
        raise NotFound("Compte introuvable.")
    if user.id == actor.user_id and not active:
        raise ServiceError("Vous ne pouvez pas désactiver votre propre compte.")
    if user.active == active:
        return user
    user.active = active
    revoke_sessions(user)
    audit.record(
        actor.user_id, "user.activate" if active else "user.deactivate", "user", user.id,
        before={"active": not active}, after={"active": active},
    )  # fmt: skip
    db.session.flush()
    return user


def create_user(actor: Actor | None, email: str, name: str, role: Role, organisation_id: int, password: str) -> User:
    """actor None is the command line (installation, demo): it acts as the system."""
    if actor is not None and not can_manage_users(actor):
        raise Forbidden("Seul un administrateur peut créer des comptes.")
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("Organisation introuvable.")
    if not role_fits_organisation(role, organisation.kind):
        raise ServiceError(f"Le rôle « {role.label} » ne convient pas à l'organisation « {organisation.name} ».")
    email = normalise_email(email)
    if db.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise ServiceError(f"Un compte existe déjà pour l'adresse {email}.")
    check_password_rules(password, email, name)
    user = User(email=email, name=name.strip(), role=role, organisation_id=organisation_id)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor.user_id if actor else None,
        "user.create",
        "user",
        user.id,
        after={"email": email, "name": user.name, "role": role, "organisation_id": organisation_id},
    )
    db.session.flush()
    return user


@dataclass(frozen=True)
class UserFilters:
    search: str = ""  # words of the name or the e-mail address
    role: Role | None = None
    active: bool | None = None
    organisation_id: int | None = None


def users_page(actor: Actor, filters: UserFilters) -> Pagination:
    """One page of the accounts the actor reaches (scope.users), by organisation then name."""
    from groupement.organisations import scope

    statement = scope.users(actor).join(Organisation, Organisation.id == User.organisation_id)
    if filters.role is not None:
        statement = statement.where(User.role == filters.role)
    if filters.active is not None:
        statement = statement.where(User.active.is_(filters.active))
    if filters.organisation_id is not None:
        statement = statement.where(User.organisation_id == filters.organisation_id)
    for word in search_words(filters.search):
        statement = statement.where(or_(contains(User.search_key, word), contains(User.email, word)))
    statement = statement.options(contains_eager(User.organisation))
    return paginate(statement.order_by(Organisation.name, User.name, User.id))


def user_organisation_choices(actor: Actor) -> list[Choice]:
    """The organisations of the reachable accounts, for the users' filter (none past CHOICES_MAX)."""
    from groupement.organisations import scope

    reached = scope.users(actor).with_only_columns(User.organisation_id).subquery()
    return capped_choices(
        select(Organisation.id, Organisation.name)
        .where(Organisation.id.in_(select(reached.c.organisation_id)))
        .order_by(Organisation.name)
    )
