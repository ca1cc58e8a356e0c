"""`groupement demo`: the demonstration data set."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from groupement.core.transaction import transactional


@click.command("demo", help="Charge les données de démonstration (idempotent) et affiche les comptes.")
@with_appcontext
@transactional
def demo_command() -> None:
    from groupement.core.planner_statistics import refresh_planner_statistics
    from groupement.demo.dataset import DEMO_PASSWORD, load_demo

    logins = load_demo()
    refresh_planner_statistics()  # as the night's work would: the planner sees the data just loaded
    click.echo(f"Données de démonstration chargées. Comptes (mot de passe commun : {DEMO_PASSWORD}) :")
    # Columns as wide as their longest entry: a supplier's address is longer than a commune's.
    role_width = max((len(login.role.label) for login in logins), default=0)
    email_width = max((len(login.email) for login in logins), default=0)
    for login in logins:
        click.echo(f"  {login.role.label:<{role_width}}  {login.email:<{email_width}}  {login.organisation}")
