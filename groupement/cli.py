"""The `groupement` command: Flask's own (run, db, routes, shell) plus the product's."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from groupement.services.errors import ImportRejected


class FrenchError(click.ClickException):
    """Printed as 'Erreur : …' on stderr, exit code 1."""

    def format_message(self) -> str:
        return self.message

    def show(self, file=None) -> None:
        click.echo(f"Erreur : {self.format_message()}", err=True, file=file)


def _create_app() -> Flask:
    from groupement import create_app

    return create_app()


main = FlaskGroup(
    create_app=_create_app,
    help="groupement : application des groupements de commandes publiques.",
)


def register_commands(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(catalog_group)


@click.command("demo", help="Charge les données de démonstration (idempotent) et affiche les comptes.")
@with_appcontext
def demo_command() -> None:
    from groupement.services.demo import DEMO_PASSWORD, load_demo

    logins = load_demo()
    click.echo(f"Données de démonstration chargées. Comptes (mot de passe commun : {DEMO_PASSWORD}) :")
    for login in logins:
        click.echo(f"  {login.role.label:<26} {login.email:<48} {login.organisation}")


@click.group("catalog", help="Catalogue des articles.")
def catalog_group() -> None:
    pass


@catalog_group.command("import", help="Importe (ou met à jour par référence) des fichiers CSV de catalogue.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def catalog_import(files: tuple[Path, ...]) -> None:
    from groupement.services.catalog import import_catalog

    contents = []
    for path in files:
        try:
            contents.append((path.name, path.read_bytes()))
        except OSError as error:
            raise FrenchError(f"impossible de lire {path} ({error.strerror}).") from error
    try:
        report = import_catalog(contents, actor_id=None)
    except ImportRejected as rejected:
        for issue in rejected.issues:
            click.echo(f"  {issue}", err=True)
        raise FrenchError(str(rejected)) from rejected
    click.echo(
        f"Catalogue importé : {report.created} créé(s), {report.updated} mis à jour, {report.unchanged} inchangé(s)."
    )
