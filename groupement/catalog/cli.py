"""`groupement catalog import`: the catalog files."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from groupement.core.commands import FrenchError
from groupement.core.errors import ImportRejected
from groupement.core.formatting import os_reason
from groupement.core.transaction import transactional


@click.group("catalog", help="Catalogue des articles.")
def catalog_group() -> None:
    pass


@catalog_group.command("import", help="Importe (ou met à jour par référence) des fichiers CSV de catalogue.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
@transactional
def catalog_import(files: tuple[Path, ...]) -> None:
    from groupement.catalog.items import import_catalog

    contents = []
    for path in files:
        try:
            contents.append((path.name, path.read_bytes()))
        except OSError as error:
            raise FrenchError(f"impossible de lire {path} ({os_reason(error)}).") from error
    try:
        report = import_catalog(contents, actor_id=None)
    except ImportRejected as rejected:
        for issue in rejected.issues:
            click.echo(f"  {issue}", err=True)
        raise FrenchError(str(rejected)) from rejected
    click.echo(
        f"Catalogue importé : {report.created} créé(s), {report.updated} mis à jour, {report.unchanged} inchangé(s)."
    )
