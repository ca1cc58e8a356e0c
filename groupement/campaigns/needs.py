"""Needs campaign use cases: the coordinator's (create, open, close, reopen) and the communes'
(save, submit, validate, send back). Each flushes and audits what it changed; the request or
CLI command around it commits (core/transaction.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from sqlalchemy import Row, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from groupement.campaigns.models import Campaign, CampaignItem, NeedLine, Submission
from groupement.campaigns.rules import (
    CampaignStatus,
    EntryWindow,
    InvalidQuantity,
    SubmissionStatus,
    check_campaign_transition,
    check_reopen,
    check_send_back,
    check_submit,
    check_validate,
    effective_status,
    estimated_amount,
    estimated_line_amount,
    joined_families,
    parse_quantity,
)
from groupement.catalog.models import CatalogItem
from groupement.core import audit, transaction
from groupement.core.access import COMMUNE_ROLES, Actor, Role
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.formatting import name_key
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.organisations import scope
from groupement.organisations.families import Family
from groupement.organisations.models import Groupement, Membership, Organisation
from groupement.organisations.user_models import User

# --- coordinator -------------------------------------------------------------------------


def create_campaign(
    actor: Actor,
    groupement_id: int,
    title: str,
    year: int,
    families: Sequence[Family],
    opens_at: datetime,
    closes_at: datetime,
    instructions: str = "",
) -> Campaign:
    """A draft campaign over every active catalog item of the chosen families (UTC times)."""
    _require(actor, Role.COORDINATOR, "Seul le coordonnateur crée une campagne.")
    groupement = db.session.get(Groupement, groupement_id)
    if groupement is None or groupement.coordinator_id != actor.organisation_id:
        raise NotFound("Groupement introuvable.")
    if opens_at >= closes_at:
        raise ServiceError("La date de clôture doit suivre la date d'ouverture.")
    chosen = set(families) & set(groupement.families)
    if not chosen:
        raise ServiceError("Choisissez au moins une famille couverte par le groupement.")
    items = db.session.scalars(
        select(CatalogItem).where(CatalogItem.active.is_(True), CatalogItem.family.in_(chosen))
    ).all()
    if not items:
        raise ServiceError("Le catalogue ne contient aucun article actif pour ces familles.")
    campaign = Campaign(
        groupement_id=groupement.id,
        title=title.strip(),
        year=year,
        instructions=instructions.strip(),
        opens_at=opens_at,
        closes_at=closes_at,
        status=CampaignStatus.DRAFT,
        created_by_id=actor.user_id,
        items=[CampaignItem(item_id=item.id) for item in items],
    )
    db.session.add(campaign)
    db.session.flush()
    audit.record(
        actor.user_id,
        "campaign.create",
        "campaign",
        campaign.id,
        after={
            "title": campaign.title,
            "year": year,
            "families": chosen,
            "items": len(items),
            "opens_at": opens_at,
            "closes_at": closes_at,
        },
    )
    return campaign


def change_campaign_status(actor: Actor, campaign_id: int, action: str) -> Campaign:
    """'open' or 'close'."""
    _require(actor, Role.COORDINATOR, "Seul le coordonnateur ouvre ou clôture une campagne.")
    campaign = scope.get_campaign(actor, campaign_id)
    before = campaign.status
    campaign.status = check_campaign_transition(action, before)  # TransitionRefused is a ServiceError
    audit.record(
        actor.user_id,
        f"campaign.{action}",
        "campaign",
        campaign.id,
        before={"status": before},
        after={"status": campaign.status},
    )
    return campaign


def close_expired_campaigns(now: datetime | None = None) -> list[Campaign]:
    """For cron: record the closure of open campaigns whose deadline has passed."""
    now = now or utcnow()
    expired = db.session.scalars(
        select(Campaign).where(Campaign.status == CampaignStatus.OPEN, Campaign.closes_at <= now)
    ).all()
    for campaign in expired:
        campaign.status = CampaignStatus.CLOSED
        audit.record(
            None,
            "campaign.close",
            "campaign",
            campaign.id,
            before={"status": CampaignStatus.OPEN},
            after={"status": CampaignStatus.CLOSED, "reason": "date limite atteinte"},
        )
    return list(expired)


def reopen_submission(
    actor: Actor, campaign_id: int, commune_id: int, reason: str, now: datetime | None = None
) -> Submission:
    campaign = scope.get_campaign(actor, campaign_id)
    commune = _participant(campaign, commune_id)
    submission = _submission_for_update(campaign.id, commune.id)
    if submission is None:
        submission = Submission(campaign_id=campaign.id, commune_id=commune.id)
        db.session.add(submission)
    window = _window(campaign, submission, now)
    submission.status = check_reopen(window, actor.role, reason)
    before = window.submission_status
    submission.reopened = True
    submission.comment = reason.strip()
    _touch(submission, actor)
    db.session.flush()
    audit.record(
        actor.user_id,
        "submission.reopen",
        "submission",
        submission.id,
        before={"status": before},
        after={"status": submission.status, "reason": reason.strip()},
    )
    db.session.flush()
    return submission


# --- commune -----------------------------------------------------------------------------


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
GridItem = Row


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
        from groupement.campaigns.rules import NOT_STARTED_LABEL

        return self.submission.status.label if self.submission else NOT_STARTED_LABEL


def needs_grid(actor: Actor, campaign_id: int, commune_id: int | None = None, now: datetime | None = None) -> NeedsGrid:
    """The commune's grid: the campaign's items of the families it joined, with its quantities,
    last campaign's for reference. Commune users see their own commune; the coordinator any."""
    campaign = scope.get_campaign(actor, campaign_id)
    if actor.role in COMMUNE_ROLES:
        commune_id = actor.organisation_id
    if commune_id is None:
        raise NotFound()
    commune = _participant(campaign, commune_id)
    families = _families_of(campaign, commune.id)
    submission = db.session.scalar(
        select(Submission).where(Submission.campaign_id == campaign.id, Submission.commune_id == commune.id)
    )
    items = _campaign_items(campaign.id, families)
    lines = {line.item_id: line for line in (submission.lines if submission else [])}
    previous = _previous_quantities(campaign, commune.id)
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
        _window(campaign, submission, now),
        sorted(families, key=list(Family).index),
        grid_lines,
    )


def save_needs(actor: Actor, campaign_id: int, entries: Sequence[NeedEntry], now: datetime | None = None) -> int:
    """Apply the changed lines; refuse everything on an invalid quantity or a concurrent edit.

    Returns the number of lines changed.
    """
    _require(actor, Role.AGENT, "Seul un agent de la commune saisit les besoins.")
    campaign = scope.get_campaign(actor, campaign_id)
    commune = _participant(campaign, actor.organisation_id)
    allowed_items = {item.id: item for item in _campaign_items(campaign.id, _families_of(campaign, commune.id))}

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

    submission = _submission_for_update(campaign.id, commune.id)
    window = _window(campaign, submission, now)
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
        _touch(submission, actor)
    db.session.flush()
    return changed


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
    campaign = scope.get_campaign(actor, campaign_id)
    commune = _participant(campaign, actor.organisation_id)
    submission = _submission_for_update(campaign.id, commune.id)
    window = _window(campaign, submission, now)
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
    _touch(submission, actor)
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


@dataclass(frozen=True)
class LineChange:
    at: datetime
    by: str
    before: int | None
    after: int
    comment: str


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
    events = db.session.scalars(
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(AuditEvent.object_type == "need_line", AuditEvent.object_id == str(line.id))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    ).all()
    return item, [
        LineChange(
            at=event.occurred_at,
            by=event.actor.name if event.actor else "système",
            before=(event.before or {}).get("quantity"),
            after=(event.after or {}).get("quantity"),
            comment=(event.after or {}).get("comment", ""),
        )
        for event in events
    ]


# --- helpers -----------------------------------------------------------------------------


def _require(actor: Actor, role: Role, message: str) -> None:
    if actor.role is not role:
        raise Forbidden(message)


def _participant(campaign: Campaign, commune_id: int) -> Organisation:
    """The commune, if it is a member of the campaign's groupement for at least one family
    of the campaign; NotFound otherwise."""
    membership = db.session.scalar(
        select(Membership).where(
            Membership.groupement_id == campaign.groupement_id, Membership.commune_id == commune_id
        )
    )
    if membership is None or not _families_of(campaign, commune_id, membership):
        raise NotFound("Cette commune ne participe pas à la campagne.")
    return membership.commune


def _families_of(campaign: Campaign, commune_id: int, membership: Membership | None = None) -> set[Family]:
    membership = membership or db.session.scalar(
        select(Membership).where(
            Membership.groupement_id == campaign.groupement_id, Membership.commune_id == commune_id
        )
    )
    if membership is None:
        return set()
    return set(
        joined_families(membership.families, membership.left_on, _campaign_families(campaign), campaign.opens_at.date())
    )


def _campaign_families(campaign: Campaign) -> set[Family]:
    return set(
        db.session.scalars(
            select(CatalogItem.family)
            .join(CampaignItem, CampaignItem.item_id == CatalogItem.id)
            .where(CampaignItem.campaign_id == campaign.id)
            .distinct()
        )
    )


def _campaign_items(campaign_id: int, families: set[Family]) -> list[GridItem]:
    """The grid's items as rows of the columns it shows: a 2 000-item grid is read on every page
    load, and ORM objects cost several times as much to build."""
    return list(
        db.session.execute(
            select(
                CatalogItem.id,
                CatalogItem.ref,
                CatalogItem.designation,
                CatalogItem.family,
                CatalogItem.unit,
                CatalogItem.unit_price_ht,
            )
            .join(CampaignItem, CampaignItem.item_id == CatalogItem.id)
            .where(CampaignItem.campaign_id == campaign_id, CatalogItem.family.in_(families))
            .order_by(CatalogItem.family, CatalogItem.ref)
        )
    )


def _previous_quantities(campaign: Campaign, commune_id: int) -> dict[int, int]:
    previous = db.session.scalar(
        select(Campaign)
        .where(
            Campaign.groupement_id == campaign.groupement_id,
            Campaign.year < campaign.year,
            Campaign.status != CampaignStatus.DRAFT,
        )
        .order_by(Campaign.year.desc(), Campaign.id.desc())
        .limit(1)
    )
    if previous is None:
        return {}
    return dict(
        db.session.execute(
            select(NeedLine.item_id, NeedLine.quantity)
            .join(Submission)
            .where(Submission.campaign_id == previous.id, Submission.commune_id == commune_id)
        ).all()
    )


def _submission_for_update(campaign_id: int, commune_id: int) -> Submission | None:
    """The row locked until commit on PostgreSQL, so that two steps cannot interleave."""
    return db.session.scalar(
        select(Submission)
        .where(Submission.campaign_id == campaign_id, Submission.commune_id == commune_id)
        .with_for_update()
    )


def _window(campaign: Campaign, submission: Submission | None, now: datetime | None) -> EntryWindow:
    return EntryWindow(
        campaign_status=campaign.status,
        opens_at=campaign.opens_at,
        closes_at=campaign.closes_at,
        submission_status=submission.status if submission else None,
        reopened=submission.reopened if submission else False,
        now=now or utcnow(),
    )


def _touch(submission: Submission, actor: Actor) -> None:
    submission.updated_at = utcnow()
    submission.updated_by_id = actor.user_id


def campaign_status(campaign: Campaign, now: datetime | None = None) -> CampaignStatus:
    return effective_status(campaign.status, campaign.closes_at, now or utcnow())


def list_campaigns(actor: Actor) -> list[Campaign]:
    return list(db.session.scalars(scope.campaigns(actor).order_by(Campaign.year.desc(), Campaign.id.desc())))


def users_of(commune_id: int) -> list[User]:
    return list(db.session.scalars(select(User).where(User.organisation_id == commune_id, User.active.is_(True))))


def participating_communes(campaign: Campaign) -> list[Organisation]:
    """The members of the campaign's groupement taking part in at least one of its families
    (the same rule as _participant), by name."""
    memberships = db.session.scalars(
        select(Membership)
        .options(joinedload(Membership.commune))
        .where(Membership.groupement_id == campaign.groupement_id)
    ).all()
    families = _campaign_families(campaign)
    communes = [
        m.commune for m in memberships if joined_families(m.families, m.left_on, families, campaign.opens_at.date())
    ]
    return sorted(communes, key=lambda commune: (name_key(commune.name), commune.id))
