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
    app.cli.add_command(campaign_group)


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


@click.group("campaign", help="Campagnes de recensement des besoins (commandes pour cron).")
def campaign_group() -> None:
    pass


@campaign_group.command("remind", help="Relance par courriel les communes dont les besoins ne sont pas validés.")
@click.argument("campaign_id", type=int)
@with_appcontext
def campaign_remind(campaign_id: int) -> None:
    from groupement.services.errors import ServiceError
    from groupement.services.reminders import remind_late_communes

    try:
        report = remind_late_communes(None, campaign_id)
    except ServiceError as error:
        raise FrenchError(str(error)) from error
    if not report.communes:
        click.echo("Aucune commune à relancer : tous les besoins sont validés.")
        return
    click.echo(
        f"Relance de la campagne n° {campaign_id} : {len(report.communes)} commune(s) en retard, "
        f"{report.messages_sent} courriel(s) envoyé(s)."
    )
    for name in report.communes:
        note = " (aucun destinataire actif : non relancée)" if name in report.communes_without_recipient else ""
        click.echo(f"  {name}{note}")


@campaign_group.command("close-expired", help="Clôture les campagnes ouvertes dont la date limite est passée.")
@with_appcontext
def campaign_close_expired() -> None:
    from groupement.services.campaigns import close_expired_campaigns

    closed = close_expired_campaigns()
    if not closed:
        click.echo("Aucune campagne à clôturer.")
        return
    click.echo(f"{len(closed)} campagne(s) clôturée(s) :")
    for campaign in closed:
        click.echo(f"  n° {campaign.id} « {campaign.title} »")


@campaign_group.command("aggregate", help="Agrège les besoins validés d'une campagne clôturée en lots.")
@click.argument("campaign_id", type=int)
@with_appcontext
def campaign_aggregate(campaign_id: int) -> None:
    from groupement.services.errors import ServiceError
    from groupement.services.lots import aggregate_campaign

    try:
        report = aggregate_campaign(None, campaign_id)
    except ServiceError as error:
        raise FrenchError(str(error)) from error
    click.echo(
        f"Campagne n° {campaign_id} agrégée : {report.lots} lot(s), {report.lines} ligne(s), "
        f"{report.communes} commune(s), {report.shares} part(s) de commune."
    )


@campaign_group.command("export", help="Écrit les pièces du marché (DQE, BPU, récapitulatifs, annexes, zip).")
@click.argument("campaign_id", type=int)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Dossier de destination (créé au besoin).",
)
@with_appcontext
def campaign_export(campaign_id: int, out_dir: Path) -> None:
    from groupement.services.errors import ServiceError
    from groupement.services.tender_exports import export_campaign

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = export_campaign(campaign_id, out_dir)
    except ServiceError as error:
        raise FrenchError(str(error)) from error
    except OSError as error:
        raise FrenchError(f"impossible d'écrire dans {out_dir} ({error.strerror}).") from error
    for path in paths:
        click.echo(str(path))
