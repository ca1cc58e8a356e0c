"""`groupement campaign …`: reminders and closing of the needs campaigns (the lots and tenders
features add `aggregate` and `export` to the same group)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from groupement.core.commands import FrenchError
from groupement.core.transaction import transactional, unit_of_work
from groupement.organisations.commands import acting_for, coordinator_option


@click.group("campaign", help="Campagnes de recensement des besoins (commandes pour cron).")
def campaign_group() -> None:
    pass


@campaign_group.command("remind", help="Relance par courriel les communes dont les besoins ne sont pas validés.")
@click.argument("campaign_id", type=int)
@coordinator_option
@with_appcontext
def campaign_remind(campaign_id: int, coordinator: str | None) -> None:
    from groupement.campaigns.reminders import remind_late_communes
    from groupement.core.errors import ServiceError
    from groupement.core.formatting import datetime_fr
    from groupement.core.mail import failed_after_commit

    try:
        with unit_of_work():  # the mails leave at its commit
            report = remind_late_communes(acting_for(coordinator), campaign_id)
    except ServiceError as error:
        raise FrenchError(str(error)) from error
    if not report.communes:
        click.echo("Aucune commune à relancer : tous les besoins sont validés.")
        return
    how = "envoyé(s)" if report.delivered else "journalisé(s) (mode développement, non envoyé(s))"
    click.echo(
        f"Relance de la campagne n° {campaign_id} : {len(report.communes)} commune(s) en retard, "
        f"{report.messages_sent} courriel(s) {how}."
    )
    too_soon = dict(report.too_soon)
    for name in report.communes:
        note = ""
        if name in report.communes_without_recipient:
            note = " (aucun destinataire actif : non relancée)"
        elif name in too_soon:
            note = f" (relancée il y a moins de {report.interval} : prochaine relance le {datetime_fr(too_soon[name])})"
        click.echo(f"  {name}{note}")
    failures = failed_after_commit()
    if failures:  # the reminders are recorded: the next one waits for the interval
        raise FrenchError("la relance est enregistrée mais des courriels ne sont pas partis : " + " ; ".join(failures))


@campaign_group.command("close-expired", help="Clôture les campagnes ouvertes dont la date limite est passée.")
@with_appcontext
@transactional
def campaign_close_expired() -> None:
    from groupement.campaigns.campaigns import close_expired_campaigns

    closed = close_expired_campaigns()
    if not closed:
        click.echo("Aucune campagne à clôturer.")
        return
    click.echo(f"{len(closed)} campagne(s) clôturée(s) :")
    for campaign in closed:
        click.echo(f"  n° {campaign.id} « {campaign.title} »")
