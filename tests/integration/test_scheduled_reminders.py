"""The periodic work the job engine schedules instead of cron: the reminders a week and a day
before the deadline (once each, however often the schedule fires) and the closing of the
expired campaigns, run through the Huey periodic tasks the workers execute."""

from __future__ import annotations

from datetime import timedelta

from groupement.campaigns.reminders import send_due_reminders
from groupement.campaigns.rules import CampaignStatus
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from tests.integration.test_reminders import DEADLINE, build_world, mail_settings, smtp_server  # noqa: F401


def test_the_late_communes_are_reminded_once_a_week_before_and_once_a_day_before(database, make, smtp_server):  # noqa: F811
    world = build_world(make)
    assert send_due_reminders(DEADLINE - timedelta(days=9)) == []  # too early
    assert len(smtp_server.envelopes) == 0
    assert send_due_reminders(DEADLINE - timedelta(days=6)) == [world.campaign.id]
    db.session.commit()  # the worker's unit of work: the mails leave at its commit
    assert len(smtp_server.envelopes) == 3  # the three late communes with a recipient
    assert send_due_reminders(DEADLINE - timedelta(days=5)) == []  # same threshold: not again
    assert send_due_reminders(DEADLINE - timedelta(hours=20)) == [world.campaign.id]
    assert send_due_reminders(DEADLINE - timedelta(hours=2)) == []
    db.session.commit()
    assert len(smtp_server.envelopes) == 6
    world.campaign.closes_at = DEADLINE + timedelta(days=3)  # the deadline moved: reminded again
    db.session.flush()
    assert send_due_reminders(DEADLINE - timedelta(hours=1)) == [world.campaign.id]


def test_the_workers_schedule_holds_the_reminders_and_the_closing(app, database, make):
    huey = app.extensions["jobs"].huey
    periodic = {task.__name__: task for task in huey._registry._periodic_tasks}
    assert {"campaigns.reminders", "campaigns.close_expired"} <= set(periodic)
    capi = make.coordinator()
    group = make.groupement(capi)
    now = utcnow()
    expired = make.campaign(
        group, [make.item()], opens_at=now - timedelta(days=20), closes_at=now - timedelta(minutes=1)
    )
    db.session.commit()
    huey.execute(periodic["campaigns.close_expired"]())  # what a worker does every five minutes
    db.session.refresh(expired)
    assert expired.status is CampaignStatus.CLOSED
