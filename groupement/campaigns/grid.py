"""A commune's needs grid: the query that shows it and the save of its lines (all or nothing,
optimistic concurrency by line version). Flushes; the request commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.models import Campaign, NeedLine, Submission
from groupement.campaigns.participation import (
    GridItem,
    campaign_items,
    entry_window,
    families_of,
    participant,
    previous_quantities,
    require_role,
    submission_for_update,
    touch,
)
from groupement.campaigns.rules import (
    NOT_STARTED_LABEL,
    EntryWindow,
    InvalidQuantity,
    SubmissionStatus,
    estimated_amount,
    estimated_line_amount,
    parse_quantity,
)
from groupement.core import audit, transaction
from groupement.core.access import COMMUNE_ROLES, Actor, Role
from groupement.core.errors import NotFound, ServiceError
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.organisations.families import Family
from groupement.organisations.models import Organisation


@dataclass(frozen=True)
class NeedEntry:
    """One line of the grid as posted: `version` is the one the person saw (0: no line yet)."""

    item_id: int
    quantity: object
    comment: str = ""
    version: int = 0


@dataclass(frozen=True)
class Conflict:
    item_id: int
    ref: str
    designation: str
    their_quantity: int
    their_comment: str
    by: str
    at: datetime


class NeedsConflict(ServiceError):
    def __init__(self, conflicts: list[Conflict]):
        self.conflicts = conflicts
        count = len(conflicts)
        super().__init__(
            f"{count} ligne{'s' if count > 1 else ''} modifiée{'s' if count > 1 else ''} entre-temps par "
            "une autre personne : rien n'a été enregistré. Vérifiez les valeurs ci-dessous puis "
            "enregistrez à nouveau."
        )


class InvalidQuantities(ServiceError):
    def __init__(self, errors: dict[int, str]):
        self.errors = errors
        super().__init__(
            f"{len(errors)} quantité{'s' if len(errors) > 1 else ''} invalide{'s' if len(errors) > 1 else ''} : "
            "rien n'a été enregistré."
        )


# A catalog item as the grid shows it: a row with id, ref, designation, family, unit, unit_price_ht.


@dataclass
class GridLine:
    item: GridItem
    quantity: int = 0
    comment: str = ""
    version: int = 0
    previous_quantity: int | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None

    @cached_property  # read three times a render (the line, its family's total, the grid's); never changed
    def amount(self) -> Decimal:
        return estimated_line_amount(self.quantity, self.item.unit_price_ht)


@dataclass
class NeedsGrid:
    campaign: Campaign
    commune: Organisation
    submission: Submission | None
    window: EntryWindow
    families: list[Family]
    lines: list[GridLine] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return estimated_amount((line.quantity, line.item.unit_price_ht) for line in self.lines)

    def by_family(self) -> list[tuple[Family, list[GridLine]]]:
        return [(f, [line for line in self.lines if line.item.family is f]) for f in self.families]

    @property
    def status_label(self) -> str:
        return self.submission.status.label if self.submission else NOT_STARTED_LABEL


def needs_grid(actor: Actor, campaign_id: int, commune_id: int | None = None, now: datetime | None = None) -> NeedsGrid:
    """The commune's grid: the campaign's items of the families it joined, with its quantities,
    last campaign's for reference. Commune users see their own commune; the coordinator any."""
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    if actor.role in COMMUNE_ROLES:
        commune_id = actor.organisation_id
    if commune_id is None:
        raise NotFound()
    commune = participant(campaign, commune_id)
    families = families_of(campaign, commune.id)
    submission = db.session.scalar(
        select(Submission).where(Submission.campaign_id == campaign.id, Submission.commune_id == commune.id)
    )
    items = campaign_items(campaign.id, families)
    lines = {line.item_id: line for line in (submission.lines if submission else [])}
    previous = previous_quantities(campaign, commune.id)
    grid_lines = []
    for item in items:
        line = lines.get(item.id)
        grid_lines.append(
            GridLine(
                item=item,
                quantity=line.quantity if line else 0,
                comment=line.comment if line else "",
                version=line.version if line else 0,
                previous_quantity=previous.get(item.id),
                updated_by=line.updated_by.name if line and line.updated_by else None,
                updated_at=line.updated_at if line else None,
            )
        )
    return NeedsGrid(
        campaign,
        commune,
        submission,
        entry_window(campaign, submission, now),
        sorted(families, key=list(Family).index),
        grid_lines,
    )


def save_needs(actor: Actor, campaign_id: int, entries: Sequence[NeedEntry], now: datetime | None = None) -> int:
    """Apply the changed lines; refuse everything on an invalid quantity or a concurrent edit.

    Returns the number of lines changed.
    """
    require_role(actor, Role.AGENT, "Seul un agent de la commune saisit les besoins.")
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    commune = participant(campaign, actor.organisation_id)
    allowed_items = {item.id: item for item in campaign_items(campaign.id, families_of(campaign, commune.id))}

    errors: dict[int, str] = {}
    parsed: dict[int, tuple[int, str, int]] = {}
    for entry in entries:
        if entry.item_id not in allowed_items:
            raise ServiceError(
                "Un article envoyé ne fait pas partie de cette campagne pour votre commune "
                "(famille non couverte par votre adhésion) : rien n'a été enregistré."
            )
        try:
            quantity = parse_quantity(entry.quantity)
        except InvalidQuantity as error:
            errors[entry.item_id] = str(error)
            continue
        comment = (entry.comment or "").strip()
        if len(comment) > 500:
            errors[entry.item_id] = "commentaire trop long (500 caractères au plus)"
            continue
        parsed[entry.item_id] = (quantity, comment, entry.version)
    if errors:
        raise InvalidQuantities(errors)

    submission = submission_for_update(campaign.id, commune.id)
    window = entry_window(campaign, submission, now)
    if reason := window.refusal():
        raise ServiceError(reason)
    if submission is None:
        submission = Submission(campaign_id=campaign.id, commune_id=commune.id, status=SubmissionStatus.DRAFT)
        db.session.add(submission)
        db.session.flush()

    current = {
        line.item_id: line
        for line in db.session.scalars(
            select(NeedLine).where(NeedLine.submission_id == submission.id).with_for_update()
        )
    }
    conflicts = []
    for item_id, (quantity, comment, version) in parsed.items():
        line = current.get(item_id)
        seen = line.version if line else 0
        same_value = (line.quantity, line.comment) == (quantity, comment) if line else quantity == 0
        if seen != version and not same_value:
            conflicts.append(
                Conflict(
                    item_id,
                    allowed_items[item_id].ref,
                    allowed_items[item_id].designation,
                    line.quantity if line else 0,
                    line.comment if line else "",
                    line.updated_by.name if line and line.updated_by else "?",
                    line.updated_at if line else utcnow(),
                )
            )
    if conflicts:
        raise NeedsConflict(conflicts)  # the unit of work rolls back, releasing the row locks

    created: list[dict] = []
    updates: list[tuple[int, dict, dict]] = []
    moment = utcnow()
    for item_id, (quantity, comment, _) in parsed.items():
        line = current.get(item_id)
        if line is None:
            if quantity or comment:
                created.append({"item_id": item_id, "quantity": quantity, "comment": comment})
            continue
        if (line.quantity, line.comment) != (quantity, comment):
            updates.append(
                (
                    line.id,
                    {"quantity": line.quantity, "comment": line.comment},
                    {"quantity": quantity, "comment": comment},
                )
            )
            line.quantity, line.comment = quantity, comment
            line.version += 1
            line.updated_by_id, line.updated_at = actor.user_id, moment
    audit.record_many(actor.user_id, "need_line.update", "need_line", updates)
    changed = len(updates)
    if created:
        # One multi-row INSERT, then the audit events: an upload may add thousands of lines.
        try:
            with transaction.savepoint():
                inserted = db.session.execute(
                    insert(NeedLine).returning(NeedLine.id, NeedLine.item_id),
                    [
                        {
                            **values,
                            "submission_id": submission.id,
                            "version": 1,
                            "updated_by_id": actor.user_id,
                            "updated_at": moment,
                        }
                        for values in created
                    ],
                ).all()
        except IntegrityError:
            # Another save created one of these lines between our read and our insert.
            raise NeedsConflict([]) from None
        values_of = {values["item_id"]: values for values in created}
        audit.record_many(
            actor.user_id,
            "need_line.create",
            "need_line",
            (
                (
                    line_id,
                    None,
                    {
                        "item": allowed_items[item_id].ref,
                        "quantity": values_of[item_id]["quantity"],
                        "comment": values_of[item_id]["comment"],
                        "campaign_id": campaign.id,
                        "commune_id": commune.id,
                    },
                )
                for line_id, item_id in inserted
            ),
        )
        changed += len(created)
    if changed:
        touch(submission, actor)
    db.session.flush()
    return changed
