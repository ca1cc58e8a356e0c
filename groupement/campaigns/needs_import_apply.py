"""The database side of an Excel import, in a few set-based statements whatever the file's size.

The check reads the commune's current values in one query (the campaign's items of its families,
left-joined to its need lines), as plain rows; the confirmation writes the changed lines in one
executemany UPDATE (compare-and-set on each line's version) and one multi-row INSERT, and the
import's one audit event lists every changed line with its value before and after (the history
of a line reads it: campaigns/line_audit.py). A 5 000-line file costs what five statements
cost, not 5 000 ORM objects and 5 000 audit rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from groupement.campaigns.grid import NeedsConflict, conflicts_of_items
from groupement.campaigns.line_audit import import_change
from groupement.campaigns.models import CampaignItem, NeedLine, Submission
from groupement.campaigns.needs_sheet import MAX_COMMENT_LENGTH
from groupement.campaigns.participation import GridItem, campaign_items, touch
from groupement.campaigns.rules import MAX_QUANTITY
from groupement.catalog.models import CatalogItem
from groupement.core import transaction
from groupement.core.access import Actor
from groupement.core.errors import ServiceError
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.organisations.families import Family

# One item of the commune's grid with its saved value (0, "" and version 0: no line yet): a tuple
# of item_id, ref, quantity, comment, version, as the database driver returns it, read by position.
# No unit price: nothing reads it here, and its Decimal, made for each of the 5 000 rows, was half
# the query's cost.
CurrentValue = tuple
ITEM_ID, REF, VERSION = 0, 1, 4
QUANTITY_AND_COMMENT = slice(2, 4)


def current_values(campaign_id: int, submission_id: int | None, families: Iterable[Family]) -> dict[str, CurrentValue]:
    """The grid's items of the commune by ref, with its current quantities: one query."""
    statement = (
        select(
            CatalogItem.id.label("item_id"),
            CatalogItem.ref,
            func.coalesce(NeedLine.quantity, 0).label("quantity"),
            func.coalesce(NeedLine.comment, "").label("comment"),
            func.coalesce(NeedLine.version, 0).label("version"),
        )
        .select_from(CampaignItem)
        .join(CatalogItem, CatalogItem.id == CampaignItem.item_id)
        .outerjoin(
            NeedLine,
            and_(NeedLine.item_id == CatalogItem.id, NeedLine.submission_id == (submission_id or -1)),
        )
        .where(CampaignItem.campaign_id == campaign_id, CatalogItem.family.in_(list(families)))
    )
    return {row[REF]: row for row in _driver_rows(statement)}


def _driver_rows(statement) -> list[tuple]:
    """The statement's rows as the driver returns them, on the session's connection (its
    transaction): neither the ORM's per-row loading nor a result Row per row (at 5 000 rows, most
    of the query's cost). Only for statements whose values are ours (ids, families): they are
    written into the SQL as literals, so that no bound parameter needs the driver's adaptation."""
    connection = db.session.connection()
    sql = statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}).string
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def apply_changes(
    actor: Actor,
    campaign_id: int,
    submission: Submission,
    families: Iterable[Family],
    changes: Sequence[dict],
    moment: datetime | None = None,
) -> list[dict]:
    """Write the checked changes (item_id, ref, quantity, comment, version seen) to the locked
    submission; NeedsConflict when a line moved since it was seen, nothing written. Returns the
    lines changed, as the import's audit event lists them."""
    families = list(families)
    connection = db.session.connection()  # plain rows, as current_values reads them
    allowed = set(
        connection.scalars(
            select(CampaignItem.item_id)
            .join(CatalogItem, CatalogItem.id == CampaignItem.item_id)
            .where(CampaignItem.campaign_id == campaign_id, CatalogItem.family.in_(families))
        )
    )
    for change in changes:
        _check_change(change, allowed)
    current = {
        item_id: (line_id, quantity, comment, version)
        for line_id, item_id, quantity, comment, version in connection.execute(
            select(NeedLine.id, NeedLine.item_id, NeedLine.quantity, NeedLine.comment, NeedLine.version)
            .where(NeedLine.submission_id == submission.id)
            .with_for_update()
        )
    }
    moved = [change["item_id"] for change in changes if _moved(current.get(change["item_id"]), change)]
    if moved:
        raise NeedsConflict(_conflicts(campaign_id, families, submission.id, moved))

    moment = moment or utcnow()
    updates, created, lines = [], [], []
    for change in changes:
        item_id, quantity, comment = change["item_id"], change["quantity"], change["comment"]
        line = current.get(item_id)
        if line is None:
            if quantity or comment:
                created.append({"item_id": item_id, "quantity": quantity, "comment": comment})
                lines.append(import_change(item_id, change["ref"], None, quantity, comment))
        elif (line[1], line[2]) != (quantity, comment):
            updates.append(
                {"line_id": line[0], "seen": line[3], "new_version": line[3] + 1, "q": quantity, "c": comment}
            )
            lines.append(import_change(item_id, change["ref"], (line[1], line[2]), quantity, comment))
    with transaction.savepoint():
        if updates:
            _update_lines(actor, updates, moment, campaign_id, families, submission.id)
        if created:
            _insert_lines(actor, created, moment, campaign_id, families, submission.id)
    if lines:
        touch(submission, actor)
        _expire_loaded_lines()
    db.session.flush()
    return lines


def _check_change(change: dict, allowed: set[int]) -> None:
    """The stored preview is ours, but it waited in the database: bounded again before writing."""
    quantity, comment = change.get("quantity"), change.get("comment")
    if change.get("item_id") not in allowed:
        raise ServiceError(
            "Un article du fichier ne fait plus partie de cette campagne pour votre commune "
            "(famille non couverte par votre adhésion) : rien n'a été enregistré."
        )
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 <= quantity <= MAX_QUANTITY:
        raise ServiceError(f"Quantité invalide pour l'article « {change.get('ref')} » : rien n'a été enregistré.")
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT_LENGTH:
        raise ServiceError(f"Commentaire invalide pour l'article « {change.get('ref')} » : rien n'a été enregistré.")


def _moved(line: tuple | None, change: dict) -> bool:
    """The line moved since the check (another version), unless to the value the file brings
    (the same rule as a save in the grid)."""
    seen = line[3] if line else 0
    same_value = (line[1], line[2]) == (change["quantity"], change["comment"]) if line else change["quantity"] == 0
    return seen != change["version"] and not same_value


_UPDATE = (
    NeedLine.__table__.update()
    .where(NeedLine.id == bindparam("line_id"), NeedLine.version == bindparam("seen"))
    .values(
        quantity=bindparam("q"),
        comment=bindparam("c"),
        version=bindparam("new_version"),
        updated_by_id=bindparam("by"),
        updated_at=bindparam("at"),
    )
)


def _update_lines(actor: Actor, updates: list[dict], moment, campaign_id, families, submission_id) -> None:
    """One executemany UPDATE … WHERE id = :id AND version = :seen: a line another writer moved
    matches no row (the row locks and BEGIN IMMEDIATE make it rare; this makes it safe)."""
    for update in updates:
        update["by"], update["at"] = actor.user_id, moment
    result = db.session.execute(_UPDATE, updates)
    if db.session.get_bind().dialect.supports_sane_multi_rowcount and result.rowcount != len(updates):
        moved = [update["line_id"] for update in updates]
        item_ids = list(db.session.scalars(select(NeedLine.item_id).where(NeedLine.id.in_(moved))))
        raise NeedsConflict(_conflicts(campaign_id, families, submission_id, item_ids))


def _insert_lines(actor: Actor, created: list[dict], moment, campaign_id, families, submission_id) -> None:
    rows = [
        {**values, "submission_id": submission_id, "version": 1, "updated_by_id": actor.user_id, "updated_at": moment}
        for values in created
    ]
    try:
        with transaction.savepoint():
            # The table's INSERT, one executemany: the ORM's bulk insert of the mapped class costs
            # three times as much for the same rows (it prepares each one as a mapped object's).
            db.session.execute(NeedLine.__table__.insert(), rows)
    except IntegrityError:
        # Created meanwhile by another save (the unique (submission, item)): a conflict.
        raise NeedsConflict(_conflicts(campaign_id, families, submission_id, [v["item_id"] for v in created])) from None


def _conflicts(campaign_id: int, families, submission_id: int, item_ids: list[int]) -> list:
    """Who changed those lines, when, to what (the rare path)."""
    items: dict[int, GridItem] = {item.id: item for item in campaign_items(campaign_id, set(families))}
    return conflicts_of_items(items, submission_id, item_ids)


def _expire_loaded_lines() -> None:
    """NeedLine objects already in the session were written around the ORM: read them again."""
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, NeedLine):
            db.session.expire(instance)
