"""`groupement campaign export`: the tender files of a campaign written to a folder."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from groupement.campaigns.cli import campaign_group
from groupement.core.commands import FrenchError
from groupement.core.formatting import os_reason
from groupement.core.transaction import transactional


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
@transactional
def campaign_export(campaign_id: int, out_dir: Path) -> None:
    from groupement.core.errors import ServiceError
    from groupement.tenders.exports import export_campaign

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = export_campaign(campaign_id, out_dir)
    except ServiceError as error:
        raise FrenchError(str(error)) from error
    except OSError as error:
        raise FrenchError(f"impossible d'écrire dans {out_dir} ({os_reason(error)}).") from error
    for path in paths:
        click.echo(str(path))
