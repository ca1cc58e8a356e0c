"""Accounts: authentication and creation by the administrator."""

from __future__ import annotations

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from groupement.core import audit
from groupement.core.access import Actor, Role, can_manage_users, role_fits_organisation
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.extensions import db
from groupement.organisations.models import Organisation
from groupement.organisations.user_models import User

MIN_PASSWORD_LENGTH = 12
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


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(f"Le mot de passe doit comporter au moins {MIN_PASSWORD_LENGTH} caractères.")
    if password.isalpha() or password.isdigit():
        raise ServiceError("Le mot de passe doit mêler lettres et chiffres ou symboles.")


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
    check_password_rules(password)
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


def users_by_organisation(actor: Actor) -> list[User]:
    from groupement.organisations import scope

    return list(db.session.scalars(scope.users(actor).join(Organisation).order_by(Organisation.name, User.name)))
