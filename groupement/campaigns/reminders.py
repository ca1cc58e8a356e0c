"""Reminding the communes whose needs are not validated yet, by e-mail: from the coordinator's
button, from `groupement campaign remind CAMPAIGN_ID`, and automatically a week and a day before
the deadline: the job engine's workers run send_due_reminders() hourly and the closing of the
expired campaigns every five minutes (core/jobs.py PeriodicWork; no cron line)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.campaigns import campaign_status
from groupement.campaigns.models import Campaign, Submission
from groupement.campaigns.participation import participating_communes
from groupement.campaigns.rules import NOT_STARTED_LABEL, CampaignStatus, SubmissionStatus
from groupement.core import audit
from groupement.core.access import COMMUNE_ROLES, Actor, Role, system_actor
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import Forbidden, ServiceError
from groupement.core.formatting import datetime_fr
from groupement.core.jobs import PeriodicWork, register_periodic
from groupement.core.mail import send_mail
from groupement.core.timeutil import utcnow
from groupement.core.transaction import savepoint
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
    link = f"{current_app.config['PUBLIC_URL'].rstrip('/')}/campagnes/{campaign.id}/besoins"
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


# --- scheduled by the job engine (core/jobs.py PeriodicWork), not by cron ---------------------

# The communes not validated yet are reminded automatically a week and a day before the deadline.
AUTOMATIC_REMINDERS = (timedelta(days=7), timedelta(days=1))
AUTOMATIC_ACTION = "campaign.remind_auto"


def send_due_reminders(now: datetime | None = None) -> list[int]:
    """For each open campaign whose deadline is within a threshold of AUTOMATIC_REMINDERS, the
    reminder of that threshold if it was not sent yet (an audit event marks it: run it hourly or
    twice, each commune gets one message per threshold and deadline). Returns the campaigns reminded."""
    now = now or utcnow()
    longest = max(AUTOMATIC_REMINDERS)
    due = db.session.scalars(
        select(Campaign)
        .where(
            Campaign.status == CampaignStatus.OPEN,
            Campaign.opens_at <= now,
            Campaign.closes_at > now,
            Campaign.closes_at <= now + longest,
        )
        .order_by(Campaign.id)
    ).all()
    reminded = []
    for campaign in due:
        threshold = min(t for t in AUTOMATIC_REMINDERS if campaign.closes_at - now <= t)
        # One mark per campaign, deadline and threshold: a deadline moved later is reminded again.
        mark = f"{campaign.id}:{campaign.closes_at:%Y%m%d%H%M}:{threshold.days}"
        already = db.session.scalar(
            select(AuditEvent.id)
            .where(
                AuditEvent.action == AUTOMATIC_ACTION,
                AuditEvent.object_type == "campaign_deadline",
                AuditEvent.object_id == mark,
            )
            .limit(1)
        )
        if already is not None:
            continue
        try:
            with savepoint():
                remind_late_communes(system_actor(campaign.groupement.coordinator_id), campaign.id, now)
                audit.record(None, AUTOMATIC_ACTION, "campaign_deadline", mark, after={"days_before": threshold.days})
        except ServiceError as error:
            current_app.logger.warning("relance automatique de la campagne %s impossible : %s", campaign.id, error)
            continue
        reminded.append(campaign.id)
    return reminded


def _close_expired() -> None:
    from groupement.campaigns.campaigns import close_expired_campaigns

    close_expired_campaigns()


register_periodic(PeriodicWork("campaigns.reminders", {"minute": "5"}, send_due_reminders))
register_periodic(PeriodicWork("campaigns.close_expired", {"minute": "*/5"}, _close_expired))
