"""`groupement user create`: an account from the command line (the first administrator of an
installation, for instance), under the same rules as the admin pages, password policy included."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from groupement.core.access import Role
from groupement.core.commands import FrenchError
from groupement.core.errors import ServiceError
from groupement.core.transaction import transactional
from groupement.organisations.commands import organisation_by_siren


@click.group("user", help="Comptes des utilisateurs.")
def user_group() -> None:
    pass


@user_group.command("create", help="Crée un compte ; le mot de passe est demandé deux fois, sans écho.")
@click.option("--email", "email", required=True, help="Adresse électronique (identifiant de connexion).")
@click.option("--nom", "name", required=True, help="Nom et prénom.")
@click.option(
    "--role",
    "role",
    required=True,
    type=click.Choice([r.value for r in Role]),
    help="Rôle : coordinator, agent, signatory, accountant ou admin.",
)
@click.option("--siren", "siren", required=True, help="SIREN de l'organisation du compte.")
@click.password_option("--mot-de-passe", "password", prompt="Mot de passe", confirmation_prompt="Confirmation")
@with_appcontext
@transactional
def create_user_command(email: str, name: str, role: str, siren: str, password: str) -> None:
    from groupement.organisations.users import create_user

    organisation = organisation_by_siren(siren)
    try:
        user = create_user(None, email, name, Role(role), organisation.id, password)
    except ServiceError as error:
        raise FrenchError(str(error)) from error
    click.echo(f"Compte créé pour {user.name} ({user.email}), {user.role.label}, {organisation.name}.")
