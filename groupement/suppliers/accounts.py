"""Supplier accounts: the coordinator invites the users of one of its supplier records. The
invitation mails a link to choose the password, made by the password-reset machinery of
organisations/users.py (valid one hour, once; « Mot de passe oublié » sends a new one)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from groupement.core import audit
from groupement.core.access import Actor, Role
from groupement.core.errors import Forbidden, ServiceError
from groupement.core.mail import send_mail
from groupement.extensions import db
from groupement.organisations.user_models import User
from groupement.organisations.users import normalise_email, reset_token
from groupement.suppliers import scope
from groupement.suppliers.models import SupplierUser
from groupement.tenders import scope as supplier_scope

MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 254


def supplier_accounts(actor: Actor, supplier_id: int) -> list[User]:
    return list(db.session.scalars(scope.accounts(actor, supplier_id).order_by(User.name, User.id)))


def invite_supplier_user(actor: Actor, supplier_id: int, email: str, name: str, link_for: Callable[[str], str]) -> User:
    """A new account of role « Fournisseur » for the supplier record, and its invitation e-mail.

    `link_for(token)` makes the absolute link to the password page (the route knows its URL)."""
    if actor.role is not Role.COORDINATOR:
        raise Forbidden("Seul le coordonnateur invite les utilisateurs d'un fournisseur.")
    supplier = supplier_scope.get_supplier(actor, supplier_id)
    email = normalise_email(email or "")
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("Le nom de la personne invitée est obligatoire.")
    if len(name) > MAX_NAME_LENGTH:
        raise ServiceError(f"Le nom dépasse {MAX_NAME_LENGTH} caractères.")
    if not email or "@" not in email or len(email) > MAX_EMAIL_LENGTH or "\x00" in email:
        raise ServiceError("L'adresse électronique de la personne invitée est invalide.")
    if scope.user_by_email(email) is not None:
        raise ServiceError(f"Un compte existe déjà pour l'adresse {email}.")
    user = User(email=email, name=name, role=Role.SUPPLIER, organisation_id=supplier.coordinator_id)
    user.set_password(secrets.token_urlsafe(32))  # unknown to anyone: the invitation sets it
    db.session.add(user)
    db.session.flush()
    db.session.add(SupplierUser(supplier_id=supplier.id, user_id=user.id, invited_by_id=actor.user_id))
    db.session.flush()
    audit.record(
        actor.user_id,
        "supplier_user.invite",
        "user",
        user.id,
        after={"email": email, "name": name, "supplier": supplier.id, "role": Role.SUPPLIER},
    )
    send_mail(
        [email],
        f"Invitation à l'espace fournisseur — {supplier.name}",
        f"Bonjour {name},\n\n"
        f"Le coordonnateur du groupement de commandes vous ouvre un accès à l'espace fournisseur de "
        f"{supplier.name} : vous y recevrez les bons de commande, en accuserez réception et "
        "déclarerez les livraisons.\n\n"
        "Pour choisir votre mot de passe, ouvrez ce lien (valable une heure, une seule fois) :\n\n"
        f"{link_for(reset_token(user))}\n\n"
        "Passé ce délai, demandez un nouveau lien depuis la page « Mot de passe oublié » avec "
        f"l'adresse {email}.\n",
    )
    db.session.flush()
    return user
