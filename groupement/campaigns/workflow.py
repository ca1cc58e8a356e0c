"""A submission's workflow: the agent submits, the signatory validates or sends back; and the
history of one line. Flushes and audits; the request commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.grid import needs_grid
from groupement.campaigns.line_audit import LineChange, line_changes
from groupement.campaigns.models import NeedLine, Submission
from groupement.campaigns.participation import GridItem, entry_window, participant, submission_for_update, touch
from groupement.campaigns.rules import check_send_back, check_submit, check_validate
from groupement.core import audit
from groupement.core.access import COMMUNE_ROLES, Actor
from groupement.core.errors import Forbidden, NotFound
from groupement.core.timeutil import utcnow
from groupement.extensions import db


def submit_needs(actor: Actor, campaign_id: int, now: datetime | None = None) -> Submission:
    return _submission_step(actor, campaign_id, "submit", now=now)


def validate_needs(actor: Actor, campaign_id: int, now: datetime | None = None) -> Submission:
    return _submission_step(actor, campaign_id, "validate", now=now)


def send_back_needs(actor: Actor, campaign_id: int, comment: str, now: datetime | None = None) -> Submission:
    return _submission_step(actor, campaign_id, "send_back", comment=comment, now=now)


def _submission_step(
    actor: Actor, campaign_id: int, step: str, comment: str = "", now: datetime | None = None
) -> Submission:
    if actor.role not in COMMUNE_ROLES:
        raise Forbidden("Action réservée aux communes.")
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    commune = participant(campaign, actor.organisation_id)
    submission = submission_for_update(campaign.id, commune.id)
    window = entry_window(campaign, submission, now)
    if step == "submit":
        target = check_submit(window, actor.role)
    elif step == "validate":
        target = check_validate(window, actor.role)
    else:
        target = check_send_back(window, actor.role, comment)
    before = submission.status
    submission.status = target
    moment = now or utcnow()
    if step == "submit":
        submission.submitted_at = moment
        submission.reopened = False
        submission.comment = ""
    elif step == "validate":
        submission.validated_at = moment
    else:
        submission.comment = comment.strip()
    touch(submission, actor)
    audit.record(
        actor.user_id,
        f"submission.{step}",
        "submission",
        submission.id,
        before={"status": before},
        after={"status": target, **({"comment": comment.strip()} if comment else {})},
    )
    db.session.flush()
    return submission


def line_history(
    actor: Actor, campaign_id: int, item_id: int, commune_id: int | None = None
) -> tuple[GridItem, list[LineChange]]:
    grid = needs_grid(actor, campaign_id, commune_id)
    item = next((line.item for line in grid.lines if line.item.id == item_id), None)
    if item is None or grid.submission is None:
        raise NotFound("Ligne introuvable.")
    line = db.session.scalar(
        select(NeedLine).where(NeedLine.submission_id == grid.submission.id, NeedLine.item_id == item_id)
    )
    if line is None:
        return item, []
    return item, line_changes(grid.submission.id, line.id, item_id)
