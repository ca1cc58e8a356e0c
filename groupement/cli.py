"""The `groupement` command: Flask's own (run, db, routes, shell) plus each feature's commands."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from groupement.core.commands import FrenchError


def _create_app() -> Flask:
    from groupement import create_app

    return create_app()


main = FlaskGroup(
    create_app=_create_app,
    help="groupement : application des groupements de commandes publiques.",
)


def register_commands(app: Flask) -> None:
    from groupement.campaigns.cli import campaign_group
    from groupement.catalog.cli import catalog_group
    from groupement.contracts.cli import decp_group
    from groupement.demo.cli import demo_command
    from groupement.invoices.cli import invoice_group
    from groupement.lots import cli as lots_cli  # noqa: F401  (adds `campaign aggregate`)
    from groupement.organisations.cli import user_group
    from groupement.tenders import cli as tenders_cli  # noqa: F401  (adds `campaign export`)

    app.cli.add_command(demo_command)
    app.cli.add_command(user_group)
    app.cli.add_command(catalog_group)
    app.cli.add_command(campaign_group)
    app.cli.add_command(decp_group)
    app.cli.add_command(invoice_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(worker_command)


# --- the background jobs' worker ----------------------------------------------------------------


@click.command(
    "worker",
    help="Lance un processus de travaux en arrière-plan (dossiers, agrégations, exports…) ; "
    "plusieurs processus, sur plusieurs machines, se partagent la file (JOBS_URL).",
)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Fils d'exécution.")
@click.option("--once", is_flag=True, help="Exécute les travaux en attente puis s'arrête.")
@with_appcontext
def worker_command(workers: int, once: bool) -> None:
    from flask import current_app

    from groupement.core.jobs_runner import run_pending_jobs
    from groupement.core.jobs_worker import run_worker

    app = current_app._get_current_object()
    if once:
        click.echo(f"{run_pending_jobs(app)} travail(aux) exécuté(s).")
        return
    run_worker(app, workers)


# --- backup and restore of the whole database ----------------------------------------------


@click.command(
    "backup",
    help="Sauvegarde toute la base dans FILE (SQLite : copie en ligne ; PostgreSQL : pg_dump au format personnalisé).",
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    from groupement.core.backup import backup_database
    from groupement.core.errors import ServiceError
    from groupement.core.formatting import number

    try:
        report = backup_database(file)
    except ServiceError as error:
        raise FrenchError(str(error)) from error
    click.echo(f"Base {report.engine} sauvegardée dans {report.path} ({number(report.size)} octets).")


@click.command(
    "restore",
    help="Remplace TOUTES les données de la base par celles de la sauvegarde FILE (faite par `groupement backup`).",
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", "confirmed", is_flag=True, help="Ne pas demander de confirmation.")
@with_appcontext
def restore_command(file: Path, confirmed: bool) -> None:
    from groupement.core.backup import restore_database
    from groupement.core.errors import ServiceError

    if not confirmed and not click.confirm(f"Toutes les données actuelles seront remplacées par {file}. Continuer ?"):
        raise FrenchError("restauration abandonnée : rien n'a été modifié.")
    try:
        engine = restore_database(file)
    except ServiceError as error:
        raise FrenchError(str(error)) from error
    click.echo(f"Base {engine} restaurée depuis {file}.")
