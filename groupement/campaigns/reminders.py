"""Reminding the communes whose needs are not validated yet, by e-mail: from the coordinator's
button or from cron (`groupement campaign remind CAMPAIGN_ID`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.campaigns import campaign_status
from groupement.campaigns.models import Campaign, Submission
from groupement.campaigns.participation import participating_communes
from groupement.campaigns.rules import NOT_STARTED_LABEL, CampaignStatus, SubmissionStatus
from groupement.core import audit
from groupement.core.access import COMMUNE_ROLES, Actor, Role
from groupement.core.errors import Forbidden, ServiceError
from groupement.core.formatting import datetime_fr
from groupement.core.mail import public_link, send_mail
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.organisations.models import Organisation
from groupement.organisations.user_models import User


@dataclass(frozen=True)
class ReminderReport:
    communes: list[str]
    """The late communes (not validated), by name; reminded unless listed below."""
    messages_sent: int
    communes_without_recipient: list[str]
    """Late communes with no active agent or signatory: nobody to write to."""


def remind_late_communes(actor: Actor, campaign_id: int, now: datetime | None = None) -> ReminderReport:
    """E-mail every participating commune whose submission is not validated: one message per
    commune, to its active agents and signatories. The CLI (cron) acts as the coordinator's
    system actor."""
    now = now or utcnow()
    if actor.role is not Role.COORDINATOR:
        raise Forbidden("Seul le coordonnateur relance les communes.")
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    status = campaign_status(campaign, now)
    if status is not CampaignStatus.OPEN:
        raise ServiceError(f"La campagne est {status.label} : les relances ne sont possibles que pendant la saisie.")
    if now < campaign.opens_at:
        raise ServiceError(f"La saisie n'ouvre que le {datetime_fr(campaign.opens_at)} : relance impossible avant.")

    submissions = {
        s.commune_id: s.status
        for s in db.session.scalars(select(Submission).where(Submission.campaign_id == campaign.id))
    }
    late = [c for c in participating_communes(campaign) if submissions.get(c.id) is not SubmissionStatus.VALIDATED]
    sent = 0
    without_recipient = []
    for commune in late:
        recipients = _recipients(commune)
        if not recipients:
            without_recipient.append(commune.name)
            continue
        subject, body = _message(campaign, commune, submissions.get(commune.id))
        send_mail(recipients, subject, body)
        sent += 1

    report = ReminderReport(
        communes=[c.name for c in late], messages_sent=sent, communes_without_recipient=without_recipient
    )
    audit.record(
        actor.user_id if actor else None,
        "campaign.remind",
        "campaign",
        campaign.id,
        after={
            "communes": report.communes,
            "messages": sent,
            "without_recipient": without_recipient,
            "by": "coordonnateur" if actor else "système",
        },
    )
    db.session.flush()
    return report


def _recipients(commune: Organisation) -> list[str]:
    return list(
        db.session.scalars(
            select(User.email)
            .where(User.organisation_id == commune.id, User.active.is_(True), User.role.in_(COMMUNE_ROLES))
            .order_by(User.email)
        )
    )


def _message(campaign: Campaign, commune: Organisation, status: SubmissionStatus | None) -> tuple[str, str]:
    deadline = datetime_fr(campaign.closes_at)
    link = public_link(f"/campagnes/{campaign.id}/besoins")
    state = status.label if status else NOT_STARTED_LABEL
    if status is SubmissionStatus.SUBMITTED:
        todo = "Vos besoins ont été soumis : il reste au signataire de la commune à les valider."
    else:
        todo = (
            "Merci de saisir vos besoins, de les soumettre (agent), puis de les faire valider "
            "par le signataire de la commune."
        )
    lines = [
        "Bonjour,",
        "",
        f"Le recensement des besoins « {campaign.title} » ({campaign.groupement.name}) se termine "
        f"le {deadline} (heure de Paris).",
        "",
        f"Commune : {commune.name}",
        f"État de votre saisie : {state}",
        "",
        todo,
        "",
        f"Accéder à la saisie : {link}",
    ]
    if campaign.instructions:
        lines += ["", "Consignes du coordonnateur :", campaign.instructions]
    lines += [
        "",
        "Après la date limite, la saisie sera close.",
        "",
        f"-- \n{campaign.groupement.coordinator.name}, coordonnateur du groupement (message automatique)",
    ]
    subject = f"Recensement des besoins « {campaign.title} » : date limite le {deadline}"
    return subject, "\n".join(lines) + "\n"
