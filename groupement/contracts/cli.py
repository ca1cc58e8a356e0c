"""`groupement decp export`: the essential data of the contracts (DECP) as JSON."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from groupement.core.commands import FrenchError
from groupement.core.formatting import os_reason
from groupement.core.transaction import transactional
from groupement.organisations.commands import acting_for, coordinator_option


@click.group("decp", help="Données essentielles de la commande publique (DECP).")
def decp_group() -> None:
    pass


@decp_group.command(
    "export",
    help="Écrit les données essentielles des marchés du coordonnateur notifiés à partir du seuil DECP "
    "(JSON, format 2.0.3). "
    "Les marchés incomplets sont listés sur la sortie d'erreur avec ce qui leur manque, sans être exportés ; "
    "code de sortie 0 dès que le fichier est écrit, 1 s'il ne peut pas l'être.",
)
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier JSON à écrire (remplacé s'il existe).",
)
@click.option(
    "--date",
    "published_on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date de publication des données (AAAA-MM-JJ) ; aujourd'hui par défaut.",
)
@coordinator_option
@with_appcontext
@transactional
def decp_export(out_file: Path, published_on, coordinator: str | None) -> None:
    import contextlib
    import os

    from groupement.contracts.decp import decp_json, export_decp
    from groupement.core.formatting import date_fr
    from groupement.core.timeutil import paris_today

    today = published_on.date() if published_on else paris_today()
    report = export_decp(today, acting_for(coordinator))  # the coordinator's own contracts
    # Written beside, then renamed: never a half-written file under the final name.
    temporary = out_file.with_name(f".{out_file.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(decp_json(report), encoding="utf-8")
        os.replace(temporary, out_file)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise FrenchError(f"impossible d'écrire {out_file} ({os_reason(error)}).") from error
    count = len(report.exported)
    click.echo(
        f"Données essentielles du {date_fr(today)} écrites dans {out_file} : "
        + (f"{count} marché(s)." if count else "aucun marché à publier.")
    )
    if report.problems:
        click.echo(f"Attention : {len(report.problems)} marché(s) non exporté(s), données manquantes :", err=True)
        for problem in report.problems:
            click.echo(f"  {problem.contract_number} ({problem.label}) :", err=True)
            for missing in problem.missing:
                click.echo(f"    - {missing}", err=True)
