"""Large needs imports as background jobs: the check of the file (preview) and its confirmation.

A 5 000-line file is read, checked and confirmed in about 0,36 s of CPU (the benchmark at
L, on a shared machine), a file of the 20 000 lines a sheet may hold in well over a second:
past what a request should take. So a file of NEEDS_IMPORT_JOB_BYTES or more, and a
confirmation of NEEDS_IMPORT_JOB_CHANGES lines or more, go through a job (the small files of
most communes stay synchronous: the preview shows at once, with no page in between). The
route's POST returns at once with the job's page; the job runs needs_upload's check_upload /
confirm_upload, as the agent who started it, in the job's one unit of work: all or nothing,
every refusal in French naming the file, row and column.

Idempotent: the check's key is the agent, the campaign and the file's SHA-256 (a double click
sends the same bytes twice: one job); the confirmation's is the upload. A retry is safe: the
received file stays until it is checked, and a confirmation already applied is not applied twice.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app, url_for
from sqlalchemy import delete, select

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.models import ReceivedNeedsFile
from groupement.campaigns.needs_upload import (
    NoChanges,
    check_upload,
    clean_file_name,
    confirm_upload,
    finished_upload,
    open_entry,
    own_pending,
)
from groupement.core.access import Actor, Role
from groupement.core.errors import ImportRejected, NotFound, ServiceError
from groupement.core.files.upload_guard import MAX_UPLOAD_BYTES, megabytes
from groupement.core.imports import ImportIssue
from groupement.core.jobs import Job, JobKind, JobResult, Progress, active_key, register, start_job
from groupement.extensions import db
from groupement.organisations import scope as organisation_scope
from groupement.organisations.user_models import User

CHECK = "needs.import_check"
CONFIRM = "needs.import_confirm"
ISSUES_SHOWN = 12  # a job's message holds 2 000 characters: the first issues, then how many more


def as_job(content_bytes: int) -> bool:
    """Whether a file this large is checked by a job rather than within the request."""
    return content_bytes >= current_app.config["NEEDS_IMPORT_JOB_BYTES"]


def confirm_as_job(changes: int) -> bool:
    return changes >= current_app.config["NEEDS_IMPORT_JOB_CHANGES"]


# --- starting -------------------------------------------------------------------------------


def start_check(
    actor: Actor, campaign_id: int, file_name: str, content: bytes, max_bytes: int = MAX_UPLOAD_BYTES
) -> Job:
    """Keep the file and start its check. Refused at once (nothing kept) when the entry is closed
    or the file is too large; the same file sent again while its check waits or runs is that job."""
    campaign, commune = open_entry(actor, campaign_id)
    file_name = clean_file_name(file_name)
    if len(content) > max_bytes:
        reason = f"fichier trop volumineux ({megabytes(len(content))} ; {megabytes(max_bytes)} au plus)"
        raise ImportRejected([ImportIssue(file_name, None, None, reason)])
    digest = hashlib.sha256(content).hexdigest()
    key = f"check:{campaign.id}:{actor.user_id}:{digest}"
    existing = db.session.scalar(select(Job).where(Job.active_key == active_key(CHECK, actor.organisation_id, key)))
    if existing is not None:
        return existing
    # The agent's earlier files of this campaign not yet checked are replaced by this one.
    earlier = db.session.scalars(
        campaign_scope.received_needs_files(actor, campaign.id).with_only_columns(ReceivedNeedsFile.id)
    ).all()
    if earlier:
        db.session.execute(delete(ReceivedNeedsFile).where(ReceivedNeedsFile.id.in_(earlier)))
    received = ReceivedNeedsFile(
        campaign_id=campaign.id,
        commune_id=commune.id,
        created_by_id=actor.user_id,
        file_name=file_name,
        digest=digest,
        content=content,
    )
    db.session.add(received)
    db.session.flush()
    job = start_job(
        actor,
        CHECK,
        key=key,
        params={"campaign_id": campaign.id, "file_id": received.id, "agent_id": actor.user_id},
        title=f"Vérification du fichier « {file_name[:120]} » — {campaign.title}",
    )
    if job.params.get("file_id") != received.id:  # the same file sent at the same instant: one job
        db.session.delete(received)
        db.session.flush()
    return job


def start_confirm(actor: Actor, campaign_id: int, upload_id: int) -> Job:
    """Start applying the checked upload (NotFound if it is not the actor's commune's)."""
    _, pending = own_pending(actor, campaign_id, upload_id)
    return start_job(
        actor,
        CONFIRM,
        key=f"confirm:{upload_id}",
        params={"campaign_id": campaign_id, "upload_id": upload_id, "agent_id": actor.user_id},
        title=f"Enregistrement de l'import « {pending.file_name[:120]} »",
    )


def pending_changes(actor: Actor, campaign_id: int, upload_id: int) -> int | None:
    """How many lines the checked upload changes; None if it is no longer pending."""
    try:
        return len(own_pending(actor, campaign_id, upload_id)[1].changes)
    except NotFound:
        return None


# --- the work -------------------------------------------------------------------------------


def run_check(actor: Actor, params: dict[str, Any], progress: Progress) -> JobResult:
    agent = _agent(actor, params)
    campaign_id = _int(params, "campaign_id")
    received = db.session.scalar(
        campaign_scope.received_needs_files(agent, campaign_id).where(ReceivedNeedsFile.id == _int(params, "file_id"))
    )
    if received is None:
        raise ServiceError(
            "Ce fichier a été remplacé par un dépôt plus récent : suivez celui-ci, ou déposez-le de nouveau."
        )
    progress(0, 1, f"Lecture et vérification de « {received.file_name} »")
    try:
        pending, diff = check_upload(agent, campaign_id, received.file_name, received.content)
    except ImportRejected as rejected:
        raise ServiceError(rejection_message(rejected)) from None
    except NoChanges as nothing:
        db.session.delete(received)
        db.session.flush()
        return JobResult(url=_url("needs.grid", campaign_id=campaign_id), summary=str(nothing))
    db.session.delete(received)
    db.session.flush()
    progress(1, 1, "Aperçu prêt")
    return JobResult(
        url=_url("needs.preview", campaign_id=campaign_id, upload_id=pending.id),
        summary=f"Le fichier ne contient aucune erreur : {diff.summary()}. Rien n'est encore enregistré : "
        "vérifiez l'aperçu puis confirmez.",
    )


def run_confirm(actor: Actor, params: dict[str, Any], progress: Progress) -> JobResult:
    agent = _agent(actor, params)
    campaign_id, upload_id = _int(params, "campaign_id"), _int(params, "upload_id")
    preview_url = _url("needs.preview", campaign_id=campaign_id, upload_id=upload_id)
    progress(0, 1, "Enregistrement des lignes")
    try:
        changed = confirm_upload(agent, campaign_id, upload_id)
    except NotFound:
        finished = finished_upload(agent, campaign_id, upload_id)
        if finished is None or not finished.confirmed:
            raise ServiceError("Cet import n'est plus en attente : il a été annulé, rien n'a été enregistré.") from None
        return JobResult(url=preview_url, summary="Cet import était déjà confirmé : rien n'a été enregistré deux fois.")
    progress(1, 1, "Import enregistré")
    plural = "s" if changed > 1 else ""
    return JobResult(url=preview_url, summary=f"Import confirmé : {changed} ligne{plural} enregistrée{plural}.")


def rejection_message(rejected: ImportRejected) -> str:
    """The refusal and its first issues (file, row, column, reason), then how many more."""
    shown = " ; ".join(str(issue) for issue in rejected.issues[:ISSUES_SHOWN])
    more = len(rejected.issues) - ISSUES_SHOWN
    tail = f" ; et {more} autre{'s' if more > 1 else ''} erreur{'s' if more > 1 else ''}" if more > 0 else ""
    return f"{rejected} {shown}{tail}. Corrigez le fichier puis déposez-le de nouveau."


# --- scope ----------------------------------------------------------------------------------


def _int(params: dict[str, Any], name: str) -> int:
    value = params.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise NotFound("Import introuvable.")
    return value


def _check(actor: Actor, params: dict[str, Any]) -> None:
    """An import job is its agent's: the commune's other users do not see it (404)."""
    if actor.role is not Role.AGENT or actor.user_id != params.get("agent_id"):
        raise NotFound("Travail introuvable.")
    campaign_scope.get_campaign(actor, _int(params, "campaign_id"))


def _agent(actor: Actor, params: dict[str, Any]) -> Actor:
    """The agent who started the job, acting again (the audit trail names them): still an active
    agent of the job's commune, else a French refusal."""
    user = db.session.scalar(organisation_scope.users(actor).where(User.id == _int(params, "agent_id")))
    if user is None or not user.active or user.role is not Role.AGENT or user.organisation_id != actor.organisation_id:
        raise ServiceError(
            "Le compte qui a lancé cet import n'est plus un agent actif de la commune : rien n'a été fait."
        )
    return user.actor


def _url(endpoint: str, **values) -> str:
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def _back(params: dict[str, Any]) -> str:
    return url_for("needs.grid", campaign_id=_int(params, "campaign_id"))


register(JobKind(name=CHECK, run=run_check, roles=frozenset({Role.AGENT}), check=_check, back_url=_back))
register(JobKind(name=CONFIRM, run=run_confirm, roles=frozenset({Role.AGENT}), check=_check, back_url=_back))
