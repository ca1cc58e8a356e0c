"""A commune's needs grid: the query that shows it and the save of its lines (all or nothing,
optimistic concurrency by line version). Flushes; the request commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.line_audit import line_changes
from groupement.campaigns.models import Campaign, NeedLine, Submission
from groupement.campaigns.participation import (
    GridItem,
    campaign_items,
    entry_window,
    families_of,
    participant,
    participant_families,
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
from groupement.catalog.rules import search_key
from groupement.core import audit, transaction
from groupement.core.access import COMMUNE_ROLES, Actor, Role
from groupement.core.errors import NotFound, ServiceError
from groupement.core.formatting import datetime_fr
from groupement.core.timeutil import to_paris, utcnow
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
    """A line changed by someone else since the person read it: by whom, when, from what to what."""

    item_id: int
    ref: str
    designation: str
    their_quantity: int
    their_comment: str
    by: str
    at: datetime
    their_previous_quantity: int | None = None

    @property
    def summary(self) -> str:
        """« PC-01 modifiée par Marie Dupont à 14:32 : 12 → 15 » (Paris time)."""
        moment = to_paris(self.at)
        when = f"à {moment:%H:%M}" if to_paris(utcnow()).date() == moment.date() else f"le {datetime_fr(self.at)}"
        change = (
            f"{self.their_previous_quantity} → {self.their_quantity}"
            if self.their_previous_quantity is not None
            else f"{self.their_quantity} saisi"
        )
        return f"{self.ref} modifiée par {self.by} {when} : {change}"


class NeedsConflict(ServiceError):
    """Lines changed since they were read: nothing is written (HTTP 409 on the grid)."""

    def __init__(self, conflicts: list[Conflict]):
        self.conflicts = conflicts
        count = len(conflicts)
        if count:
            details = " ; ".join(conflict.summary for conflict in conflicts[:5])
            more = f" ; et {count - 5} autre{'s' if count > 6 else ''}" if count > 5 else ""
            head = (
                f"{count} ligne{'s' if count > 1 else ''} modifiée{'s' if count > 1 else ''} entre-temps "
                f"par une autre personne ({details}{more})"
            )
        else:
            head = "Vos besoins ont été modifiés au même instant par une autre personne"
        super().__init__(
            f"{head} : rien n'a été enregistré. Vérifiez les valeurs ci-dessous puis enregistrez à nouveau."
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

    def matching(self, search: str) -> set[int]:
        """The ids of the items whose designation or ref holds every word of the search, accents
        and case ignored (the catalog's search key: « ecran » finds « Écran »)."""
        words = search_key(search).split()
        return {line.item.id for line in self.lines if all(word in line.item.search_key for word in words)}

    def by_family(self) -> list[tuple[Family, list[GridLine]]]:
        return [(f, [line for line in self.lines if line.item.family is f]) for f in self.families]

    @property
    def status_label(self) -> str:
        return self.submission.status.label if self.submission else NOT_STARTED_LABEL


def grid_line(item: GridItem, line: NeedLine | None, previous_quantity: int | None) -> GridLine:
    """One row of the grid: the item, what the commune entered (nothing yet: 0) and last year's."""
    return GridLine(
        item=item,
        quantity=line.quantity if line else 0,
        comment=line.comment if line else "",
        version=line.version if line else 0,
        previous_quantity=previous_quantity,
        updated_by=line.updated_by.name if line and line.updated_by else None,
        updated_at=line.updated_at if line else None,
    )


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
    grid_lines = [grid_line(item, lines.get(item.id), previous.get(item.id)) for item in items]
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
    commune, families = participant_families(campaign, actor.organisation_id)
    # Only the items the save names: a page posts its changed lines, not the campaign's 5 000 items.
    posted = {entry.item_id for entry in entries}
    allowed_items = {item.id: item for item in campaign_items(campaign.id, families, among=posted)} if posted else {}

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
        submission = _create_submission(campaign.id, commune.id)

    current = _current_lines(submission.id, parsed)
    conflicts = [
        conflict_of(allowed_items[item_id], current.get(item_id))
        for item_id, (quantity, comment, version) in parsed.items()
        if _changed_since_seen(current.get(item_id), version, quantity, comment)
    ]
    if conflicts:
        raise NeedsConflict(conflicts)  # the unit of work rolls back, releasing the row locks

    created: list[dict] = []
    updates: list[tuple[int, dict, dict]] = []
    changed_lines: list[tuple[NeedLine, int, str]] = []
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
            changed_lines.append((line, quantity, comment))
    if changed_lines:
        # Compare-and-set (NeedLine's version_id_col): UPDATE … SET version = seen + 1 WHERE
        # id = :id AND version = :seen, StaleDataError when no row matched. The row locks above
        # serialise PostgreSQL and BEGIN IMMEDIATE serialises SQLite (core/transaction.py); this
        # is the guarantee that holds whatever the locking. The lines change inside the savepoint
        # so that a refusal undoes exactly them.
        seen_versions = {line.id: line.version for line, _, _ in changed_lines}
        try:
            with transaction.savepoint():
                for line, quantity, comment in changed_lines:
                    line.quantity, line.comment = quantity, comment
                    line.updated_by_id, line.updated_at = actor.user_id, moment
                db.session.flush()
        except StaleDataError:
            raise NeedsConflict(_moved_lines(allowed_items, seen_versions)) from None
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
            # Another save created one of these lines between our read and our insert (the
            # unique (submission, item) constraint): the same refusal as a changed line.
            now_there = _current_lines(submission.id, parsed)
            raise NeedsConflict(
                [
                    conflict_of(allowed_items[values["item_id"]], now_there[values["item_id"]])
                    for values in created
                    if values["item_id"] in now_there
                ]
            ) from None
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


def _create_submission(campaign_id: int, commune_id: int) -> Submission:
    """The commune's first save: its submission. Two first saves at once meet on the unique
    (campaign, commune) constraint; the loser goes on with the winner's row, locked, and then
    sees the winner's lines as changed (a conflict, not an error page)."""
    try:
        with transaction.savepoint():
            submission = Submission(campaign_id=campaign_id, commune_id=commune_id, status=SubmissionStatus.DRAFT)
            db.session.add(submission)
            db.session.flush()
            return submission
    except IntegrityError:
        existing = submission_for_update(campaign_id, commune_id)
        if existing is None:
            raise
        return existing


def _current_lines(submission_id: int, item_ids: Iterable[int]) -> dict[int, NeedLine]:
    """The submission's lines of these items as they are now, locked until commit (PostgreSQL)."""
    wanted = list(item_ids)
    if not wanted:
        return {}
    return {
        line.item_id: line
        for line in db.session.scalars(
            select(NeedLine)
            .where(NeedLine.submission_id == submission_id, NeedLine.item_id.in_(wanted))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }


def _changed_since_seen(line: NeedLine | None, version: int, quantity: int, comment: str) -> bool:
    """The line moved since the person read it (another version), unless to the same value."""
    seen = line.version if line else 0
    same_value = (line.quantity, line.comment) == (quantity, comment) if line else quantity == 0
    return seen != version and not same_value


def conflict_of(item: GridItem, line: NeedLine | None) -> Conflict:
    """Who changed the line, when, and from what to what: from the audit trail (the grid's
    events per line and the imports' per file)."""
    if line is None:
        return Conflict(item.id, item.ref, item.designation, 0, "", "?", utcnow())
    changes = line_changes(line.submission_id, line.id, line.item_id)
    by = line.updated_by.name if line.updated_by else "?"
    before = None
    if changes:
        by, before = changes[0].by, changes[0].before
    return Conflict(
        item.id,
        item.ref,
        item.designation,
        line.quantity,
        line.comment,
        by,
        line.updated_at,
        their_previous_quantity=before,
    )


def conflicts_of_items(items: dict[int, GridItem], submission_id: int, item_ids: list[int]) -> list[Conflict]:
    """The conflicts on these items' lines of the submission, as they are now (an import's refusal)."""
    lines = db.session.scalars(
        select(NeedLine)
        .where(NeedLine.submission_id == submission_id, NeedLine.item_id.in_(item_ids))
        .execution_options(populate_existing=True)
    )
    return [conflict_of(items[line.item_id], line) for line in lines]


def _moved_lines(allowed_items: dict[int, GridItem], seen_versions: dict[int, int]) -> list[Conflict]:
    """After a compare-and-set matched no row: the lines whose version moved, as they are now
    (all the lines written when this transaction's snapshot cannot see the other writer's)."""
    lines = db.session.scalars(
        select(NeedLine).where(NeedLine.id.in_(seen_versions)).execution_options(populate_existing=True)
    ).all()
    moved = [line for line in lines if line.version != seen_versions[line.id]]
    return [conflict_of(allowed_items[line.item_id], line) for line in moved or lines]
