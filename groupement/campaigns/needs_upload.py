"""The Excel round trip of a commune's needs: download the grid, upload it filled in, preview
the changes, confirm (or cancel).

The upload is all or nothing: the whole file is checked before anything is kept, every problem
is listed (file, row, column, reason). A checked file becomes a PendingUpload row (in the
database, so any app server can confirm it) holding the lines it changes and the versions the
agent saw; confirming hands them to save_needs, which refuses the lot if one of those lines
changed in between (NeedsConflict). Nothing here commits: the request does, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.grid import GridLine, needs_grid
from groupement.campaigns.line_audit import IMPORT_ACTION
from groupement.campaigns.models import Campaign, CampaignItem, PendingUpload, Submission
from groupement.campaigns.needs_import_apply import (
    ITEM_ID,
    QUANTITY_AND_COMMENT,
    VERSION,
    apply_changes,
    current_values,
)
from groupement.campaigns.needs_sheet import REF, NeedsSheetRow
from groupement.campaigns.needs_xlsx_reader import limits_for_grid, read_needs_rows
from groupement.campaigns.needs_xlsx_writer import write_needs_workbook
from groupement.campaigns.participation import (
    entry_window,
    participant,
    participant_families,
    submission_for_update,
)
from groupement.campaigns.rules import NeedsDiff, NeedValue, SubmissionStatus, diff_needs, estimated_line_amount
from groupement.catalog.models import CatalogItem
from groupement.core import audit, transaction
from groupement.core.access import Actor, Role
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import Forbidden, ImportRejected, NotFound, ServiceError
from groupement.core.files.upload_guard import MAX_UPLOAD_BYTES
from groupement.core.formatting import datetime_fr, slug
from groupement.core.imports import ImportIssue
from groupement.extensions import db
from groupement.organisations.families import Family
from groupement.organisations.models import Organisation

DOWNLOADERS = frozenset({Role.AGENT, Role.SIGNATORY, Role.COORDINATOR})


class NoChanges(ServiceError):
    """The file repeats the needs already saved: there is nothing to confirm."""

    def __init__(self) -> None:
        super().__init__("Le fichier ne change aucune quantité ni aucun commentaire : rien à enregistrer.")


def export_needs(actor: Actor, campaign_id: int, commune_id: int | None = None) -> tuple[bytes, str]:
    """The commune's grid as a pre-filled workbook, and its file name. Commune users get their
    own commune's; the coordinator names the commune."""
    if actor.role not in DOWNLOADERS:
        raise Forbidden("Téléchargement réservé aux communes et au coordonnateur.")
    grid = needs_grid(actor, campaign_id, commune_id)
    rows = [
        NeedsSheetRow(
            ref=line.item.ref,
            designation=line.item.designation,
            family=line.item.family.label,
            unit=line.item.unit,
            unit_price=line.item.unit_price_ht,
            previous_quantity=line.previous_quantity,
            quantity=line.quantity,
            comment=line.comment,
        )
        for line in grid.lines
    ]
    content = write_needs_workbook(
        campaign_title=grid.campaign.title,
        commune_name=grid.commune.name,
        deadline=f"{datetime_fr(grid.campaign.closes_at)} (heure de Paris)",
        instructions=grid.campaign.instructions,
        rows=rows,
    )
    commune, campaign = slug(grid.commune.name, default="besoins"), slug(grid.campaign.title, default="besoins")
    return content, f"besoins-{commune}-{campaign}.xlsx"


def preview_upload(
    actor: Actor,
    campaign_id: int,
    file_name: str,
    content: bytes,
    now: datetime | None = None,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> PendingUpload:
    return check_upload(actor, campaign_id, file_name, content, now, max_bytes)[0]


def check_upload(
    actor: Actor,
    campaign_id: int,
    file_name: str,
    content: bytes,
    now: datetime | None = None,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> tuple[PendingUpload, NeedsDiff]:
    """Check the whole file and keep what it would change, awaiting confirmation.

    Raises ImportRejected (every issue), NoChanges, or ServiceError (entry closed); on any of
    them nothing is written. The file is compared with the commune's values read in one query
    (needs_import_apply.current_values), not with the whole grid the page shows.
    """
    require_agent(actor)
    file_name = clean_file_name(file_name)
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    commune, families = participant_families(campaign, actor.organisation_id)
    submission = db.session.scalar(
        select(Submission).where(Submission.campaign_id == campaign.id, Submission.commune_id == commune.id)
    )
    if reason := entry_window(campaign, submission, now).refusal():
        raise ServiceError(reason)
    current = current_values(campaign.id, submission.id if submission else None, families)
    uploaded, issues = read_needs_rows(content, file_name, max_bytes, limits_for_grid(len(current)))
    unknown = [need for need in uploaded if need.ref not in current]
    if unknown:
        issues += _unknown_ref_issues(campaign.id, file_name, unknown)
    if issues:
        raise ImportRejected(issues)

    # One pass keeps the rows whose value differs from the saved one (most of a file repeats
    # them); the diff's kinds are then those lines' only. Lines absent from the file stay.
    changed = [
        (need, saved)
        for need in uploaded
        if (need.value.quantity, need.value.comment) != (saved := current[need.ref])[QUANTITY_AND_COMMENT]
    ]
    if not changed:
        raise NoChanges()
    diff = diff_needs(
        {need.ref: NeedValue(*saved[QUANTITY_AND_COMMENT]) for need, saved in changed},
        {need.ref: need.value for need, _ in changed},
    )
    changes = [
        {
            "item_id": saved[ITEM_ID],
            "ref": need.ref,
            "quantity": need.value.quantity,
            "comment": need.value.comment,
            "version": saved[VERSION],
        }
        for need, saved in changed
    ]
    submission = submission or _new_submission(campaign.id, commune.id)
    # A new preview replaces the agent's earlier unconfirmed ones for this commune.
    db.session.execute(
        delete(PendingUpload).where(
            PendingUpload.submission_id == submission.id, PendingUpload.created_by_id == actor.user_id
        )
    )
    pending = PendingUpload(
        submission_id=submission.id, created_by_id=actor.user_id, file_name=file_name, changes=changes
    )
    db.session.add(pending)
    db.session.flush()
    return pending, diff


def pending_preview(
    actor: Actor, campaign_id: int, upload_id: int
) -> tuple[PendingUpload, NeedsDiff, dict[str, GridLine]]:
    """The upload awaiting confirmation, what it changes compared with the needs as they are
    now, and the commune's grid lines by ref (designation, unit, current value and version:
    a line whose version moved since the upload was checked was changed by someone else)."""
    require_agent(actor)
    grid = needs_grid(actor, campaign_id)
    if grid.submission is None:
        raise NotFound("Import introuvable.")
    pending = _pending(grid.submission.id, upload_id)
    lines = {line.item.ref: line for line in grid.lines}
    current = {ref: NeedValue(line.quantity, line.comment) for ref, line in lines.items()}
    uploaded = {change["ref"]: NeedValue(change["quantity"], change["comment"]) for change in pending.changes}
    return pending, diff_needs(current, uploaded), lines


def confirm_upload(actor: Actor, campaign_id: int, upload_id: int, now: datetime | None = None) -> int:
    """Apply the checked upload in one transaction: the changed lines, the import's audit event
    (each changed line with its value before and after) and the removal of the PendingUpload.
    Returns the number of lines changed.

    NeedsConflict (a line changed since the preview), or a closed entry window: nothing is
    written and the PendingUpload stays.
    """
    campaign, pending = own_pending(actor, campaign_id, upload_id)
    submission_id, file_name, changes = pending.submission_id, pending.file_name, pending.changes
    # One unit of work, all or nothing: the removal of the PendingUpload, the import event and
    # the saved lines. In a savepoint so that a refusal (a conflict, a closed window) undoes the
    # removal too, whoever called this, and the PendingUpload stays for another try.
    with transaction.savepoint():
        # A second confirmation of the same upload (double click, two tabs) deletes nothing.
        removed = db.session.execute(delete(PendingUpload).where(PendingUpload.id == pending.id))
        if removed.rowcount != 1:
            raise NotFound("Import introuvable : il a peut-être déjà été confirmé ou annulé.")
        commune, families = participant_families(campaign, actor.organisation_id)
        submission = submission_for_update(campaign.id, commune.id)
        if reason := entry_window(campaign, submission, now).refusal():
            raise ServiceError(reason)
        lines = apply_changes(actor, campaign.id, submission, families, changes)
        audit.record(
            actor.user_id,
            IMPORT_ACTION,
            "submission",
            submission_id,
            after={
                "file": file_name,
                "lines": len(lines),
                "campaign_id": campaign.id,
                "upload_id": upload_id,
                "changes": lines,
            },
        )
        db.session.flush()
        return len(lines)


def own_pending(actor: Actor, campaign_id: int, upload_id: int) -> tuple[Campaign, PendingUpload]:
    """The checked upload of the actor's commune in this campaign, else NotFound."""
    require_agent(actor)
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    pending = db.session.scalar(
        select(PendingUpload)
        .join(Submission, Submission.id == PendingUpload.submission_id)
        .where(
            PendingUpload.id == upload_id,
            Submission.campaign_id == campaign.id,
            Submission.commune_id == actor.organisation_id,
        )
    )
    if pending is None:
        raise NotFound("Import introuvable : il a peut-être déjà été confirmé ou annulé.")
    return campaign, pending


def open_entry(actor: Actor, campaign_id: int, now: datetime | None = None) -> tuple[Campaign, Organisation]:
    """The campaign and the actor's commune when the commune may still enter its needs; else the
    French refusal (ServiceError), or NotFound outside its campaigns."""
    require_agent(actor)
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    commune = participant(campaign, actor.organisation_id)
    submission = db.session.scalar(
        select(Submission).where(Submission.campaign_id == campaign.id, Submission.commune_id == commune.id)
    )
    if reason := entry_window(campaign, submission, now).refusal():
        raise ServiceError(reason)
    return campaign, commune


def cancel_upload(actor: Actor, campaign_id: int, upload_id: int) -> None:
    """Drop the checked upload; the needs stay as they are."""
    require_agent(actor)
    grid_submission = _own_submission(actor, campaign_id)
    pending = _pending(grid_submission.id, upload_id)
    audit.record(
        actor.user_id,
        "needs.import_cancel",
        "submission",
        grid_submission.id,
        after={"file": pending.file_name, "lines": len(pending.changes), "upload_id": upload_id},
    )
    db.session.delete(pending)
    db.session.flush()


@dataclass(frozen=True)
class PreviewEffect:
    """The upload's effect in euros: the commune's estimated total before and after, and each
    changed line's amount before and after (by ref)."""

    before: Decimal
    after: Decimal
    lines: dict[str, tuple[Decimal, Decimal]]

    @property
    def difference(self) -> Decimal:
        return self.after - self.before


def preview_effect(lines: dict[str, GridLine], pending: PendingUpload) -> PreviewEffect:
    """What confirming would do to the estimated amounts, from the lines as they are now."""
    uploaded = {change["ref"]: change["quantity"] for change in pending.changes if change["ref"] in lines}
    changed = {
        ref: (line.amount, estimated_line_amount(uploaded[ref], line.item.unit_price_ht))
        for ref, line in lines.items()
        if ref in uploaded
    }
    before = sum((line.amount for line in lines.values()), Decimal(0))
    after = before + sum((new - old for old, new in changed.values()), Decimal(0))
    return PreviewEffect(before, after, changed)


@dataclass(frozen=True)
class FinishedUpload:
    """An upload that is no longer pending: confirmed or cancelled, by whom, when."""

    confirmed: bool
    file_name: str
    lines: int
    by: str
    at: datetime


def finished_upload(actor: Actor, campaign_id: int, upload_id: int) -> FinishedUpload | None:
    """What became of an upload no longer awaiting confirmation (the browser's Back button, a
    second click), from the audit trail of the actor's commune; None if it never was one."""
    require_agent(actor)
    try:
        submission = _own_submission(actor, campaign_id)
    except NotFound:
        return None
    events = db.session.scalars(
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(
            AuditEvent.object_type == "submission",
            AuditEvent.object_id == str(submission.id),
            AuditEvent.action.in_((IMPORT_ACTION, "needs.import_cancel")),
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )
    for event in events:
        after = event.after or {}
        if after.get("upload_id") == upload_id:
            return FinishedUpload(
                confirmed=event.action == IMPORT_ACTION,
                file_name=after.get("file", ""),
                lines=after.get("lines", 0),
                by=event.actor.name if event.actor else "système",
                at=event.occurred_at,
            )
    return None


# --- helpers -------------------------------------------------------------------------------


def require_agent(actor: Actor) -> None:
    if actor.role is not Role.AGENT:
        raise Forbidden("Seul un agent de la commune importe des besoins.")


def _own_submission(actor: Actor, campaign_id: int) -> Submission:
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    submission = db.session.scalar(
        select(Submission).where(Submission.campaign_id == campaign.id, Submission.commune_id == actor.organisation_id)
    )
    if submission is None:
        raise NotFound("Import introuvable.")
    return submission


def _pending(submission_id: int, upload_id: int) -> PendingUpload:
    pending = db.session.scalar(
        select(PendingUpload).where(PendingUpload.id == upload_id, PendingUpload.submission_id == submission_id)
    )
    if pending is None:
        raise NotFound("Import introuvable : il a peut-être déjà été confirmé ou annulé.")
    return pending


def _new_submission(campaign_id: int, commune_id: int) -> Submission:
    """The commune's first contact with the campaign is an upload: its draft answer begins."""
    submission = Submission(campaign_id=campaign_id, commune_id=commune_id, status=SubmissionStatus.DRAFT)
    try:
        with transaction.savepoint():
            db.session.add(submission)
    except IntegrityError:  # created meanwhile by a colleague's save
        message = "Vos besoins viennent d'être modifiés par ailleurs : déposez à nouveau le fichier."
        raise ServiceError(message) from None
    return submission


def _unknown_ref_issues(campaign_id: int, file_name: str, unknown) -> list[ImportIssue]:
    """Why each ref is not in the commune's grid: not in the catalog, not in this campaign,
    or of a family the commune did not join."""
    refs = {need.ref for need in unknown}
    catalog = {item.ref: item for item in db.session.scalars(select(CatalogItem).where(CatalogItem.ref.in_(refs)))}
    in_campaign = set(
        db.session.scalars(
            select(CatalogItem.ref)
            .join(CampaignItem, CampaignItem.item_id == CatalogItem.id)
            .where(CampaignItem.campaign_id == campaign_id, CatalogItem.ref.in_(refs))
        )
    )
    issues = []
    for need in unknown:
        item = catalog.get(need.ref)
        if item is None:
            reason = f"référence « {need.ref} » inconnue du catalogue"
        elif need.ref not in in_campaign:
            reason = f"l'article « {need.ref} » ne fait pas partie de cette campagne"
        else:
            reason = (
                f"l'article « {need.ref} » relève de la famille « {Family(item.family).label} », "
                "à laquelle votre commune n'a pas adhéré"
            )
        issues.append(ImportIssue(file_name, need.row, REF, reason))
    return issues


def clean_file_name(file_name: str) -> str:
    name = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:255] or "fichier.xlsx"
