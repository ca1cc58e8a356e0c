"""`groupement campaign aggregate`: a closed campaign's validated needs into lots."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from groupement.campaigns.cli import campaign_group
from groupement.core.commands import FrenchError
from groupement.core.transaction import transactional
from groupement.organisations.commands import acting_for, coordinator_option


@campaign_group.command("aggregate", help="Agrège les besoins validés d'une campagne clôturée en lots.")
@click.argument("campaign_id", type=int)
@coordinator_option
@with_appcontext
@transactional
def campaign_aggregate(campaign_id: int, coordinator: str | None) -> None:
    from groupement.core.errors import ServiceError
    from groupement.lots.campaign_aggregation import aggregate_campaign

    try:
        report = aggregate_campaign(acting_for(coordinator), campaign_id)
    except ServiceError as error:
        raise FrenchError(str(error)) from error
    click.echo(
        f"Campagne n° {campaign_id} agrégée : {report.lots} lot(s), {report.lines} ligne(s), "
        f"{report.communes} commune(s), {report.shares} part(s) de commune."
    )
