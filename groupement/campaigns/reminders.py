"""Reminding the communes whose needs are not validated yet, by e-mail: from the coordinator's
button, from `groupement campaign remind CAMPAIGN_ID`, and automatically a week and a day before
the deadline: the job engine's workers run send_due_reminders() hourly and the closing of the
expired campaigns every five minutes (core/jobs.py PeriodicWork; no cron line).

The mails leave after the unit of work commits (core.mail.send_after_commit): a reminder whose
claim is rolled back writes to nobody, and its retry writes once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.campaigns import campaign_status
from groupement.campaigns.models import Campaign, CampaignReminder, Submission
from groupement.campaigns.participation import participating_communes
from groupement.campaigns.reminder_rules import interval_label, next_reminder_at, reminder_interval
from groupement.campaigns.rules import NOT_STARTED_LABEL, CampaignStatus, SubmissionStatus
from groupement.core import audit, transaction
from groupement.core.access import COMMUNE_ROLES, Actor, Role, system_actor
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import Forbidden, ServiceError
from groupement.core.formatting import datetime_fr
from groupement.core.jobs import PeriodicWork, register_periodic
from groupement.core.mail import delivered, public_link, send_after_commit
from groupement.core.timeutil import to_paris, utcnow
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
    too_soon: list[tuple[str, datetime]] = field(default_factory=list)
    """Late communes reminded less than the interval ago: (name, first moment allowed again)."""
    delivered: bool = True
    """False: MAIL_SERVER is empty, the messages were written to the log only (development)."""
    interval: str = field(default="", compare=False)
    """The minimum interval between two reminders, as the messages say it (« 24 h »)."""


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
    interval = reminder_interval(to_paris(now).date())
    really_sent = delivered(current_app.config)
    sent = 0
    without_recipient = []
    too_soon = []
    for commune in late:
        recipients = _recipients(commune)
        if not recipients:
            without_recipient.append(commune.name)
            continue
        last = _claim(campaign.id, commune.id, actor.user_id, now, now - interval, really_sent)
        if last is not None:
            too_soon.append((commune.name, next_reminder_at(last, interval)))
            continue
        subject, body = _message(campaign, commune, submissions.get(commune.id))
        send_after_commit(recipients, subject, body, about=f"Relance de la commune {commune.name}")
        sent += 1

    report = ReminderReport(
        communes=[c.name for c in late],
        messages_sent=sent,
        communes_without_recipient=without_recipient,
        too_soon=too_soon,
        delivered=really_sent,
        interval=interval_label(interval),
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
            "too_soon": [name for name, _ in too_soon],
            "delivered": really_sent,
            "by": "coordonnateur" if actor else "système",
        },
    )
    db.session.flush()
    return report


def _claim(
    campaign_id: int, commune_id: int, user_id: int | None, now: datetime, cutoff: datetime, really_sent: bool
) -> datetime | None:
    """Takes the right to remind this commune now: None when taken, else the last reminder's time.

    The first reminder inserts the row (the unique constraint refuses a second one inserted at
    the same moment); the next ones move `sent_at` by a compare-and-set UPDATE that only
    matches once the interval has passed. Two requests at once: one matches, the other waits
    for its row lock then finds `sent_at` moved, and sends nothing."""
    values = {"sent_at": now, "sent_by_id": user_id, "delivered": really_sent}
    exists = db.session.scalar(
        select(CampaignReminder.id).where(
            CampaignReminder.campaign_id == campaign_id, CampaignReminder.commune_id == commune_id
        )
    )
    if exists is None:
        try:
            with transaction.savepoint():
                db.session.add(CampaignReminder(campaign_id=campaign_id, commune_id=commune_id, **values))
                db.session.flush()
            return None
        except IntegrityError:
            pass  # inserted meanwhile by another request: the UPDATE below decides
    claimed = db.session.execute(
        update(CampaignReminder)
        .where(
            CampaignReminder.campaign_id == campaign_id,
            CampaignReminder.commune_id == commune_id,
            CampaignReminder.sent_at <= cutoff,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount == 1:
        return None
    return db.session.scalar(
        select(CampaignReminder.sent_at).where(
            CampaignReminder.campaign_id == campaign_id, CampaignReminder.commune_id == commune_id
        )
    )


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
