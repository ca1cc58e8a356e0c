"""`groupement demo`: the demonstration data set."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from groupement.core.transaction import transactional


@click.command("demo", help="Charge les données de démonstration (idempotent) et affiche les comptes.")
@with_appcontext
@transactional
def demo_command() -> None:
    from groupement.demo.dataset import DEMO_PASSWORD, load_demo

    logins = load_demo()
    click.echo(f"Données de démonstration chargées. Comptes (mot de passe commun : {DEMO_PASSWORD}) :")
    for login in logins:
        click.echo(f"  {login.role.label:<26} {login.email:<48} {login.organisation}")
