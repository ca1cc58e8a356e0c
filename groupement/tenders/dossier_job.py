"""The tender dossier (every lot's DQE, BPU and recap, each commune's annex, in one zip) built by
a background job: at 1 000 communes × 5 000 items it takes minutes, past any proxy's timeout.
The coordinator starts it from the lots page, watches it on /travaux/<id>, downloads the zip."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import url_for
from sqlalchemy import select

from groupement.campaigns import scope as campaign_scope
from groupement.core.access import COMMUNE_ROLES, COORDINATOR_SIDE_ROLES, Actor
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.jobs import Job, JobKind, JobResult, Progress, register, start_job
from groupement.extensions import db
from groupement.lots.models import Lot
from groupement.tenders import tender_package
from groupement.tenders.exports import _overview_in_scope, slug, tender_file_count, tender_files

DOSSIER = "tenders.dossier"


def _campaign_id(params: dict[str, Any]) -> int:
    value = params.get("campaign_id")
    if not isinstance(value, int):
        raise NotFound("Campagne introuvable.")
    return value


def _check(actor: Actor, params: dict[str, Any]) -> None:
    if actor.role in COMMUNE_ROLES:
        raise NotFound("Campagne introuvable.")
    campaign_scope.get_campaign(actor, _campaign_id(params))


def build_dossier(actor: Actor, params: dict[str, Any], progress: Progress) -> JobResult:
    overview = _overview_in_scope(actor, _campaign_id(params))  # ServiceError without lots
    total = tender_file_count(overview)

    def counted() -> Iterator[tuple[str, bytes]]:
        progress(0, total, "Préparation")
        for done, (name, content) in enumerate(tender_files(overview), start=1):
            progress(done, total, name)
            yield name, content

    content = tender_package.zip_in_order(counted())
    filename = f"dossier-{slug(overview.campaign.title, 40)}.zip"
    return JobResult(content=content, filename=filename, mimetype="application/zip")


register(
    JobKind(
        name=DOSSIER,
        run=build_dossier,
        roles=COORDINATOR_SIDE_ROLES,
        check=_check,
        writes=False,
        back_url=lambda params: url_for("lots.index", campaign_id=_campaign_id(params)),
    )
)


def start_dossier(actor: Actor, campaign_id: int) -> Job:
    """The dossier job of this campaign: refused at once (ServiceError) when it has no lots."""
    if actor.role in COMMUNE_ROLES:
        raise Forbidden("Les pièces du marché sont préparées par le coordonnateur.")
    campaign = campaign_scope.get_campaign(actor, campaign_id)
    if db.session.scalar(select(Lot.id).where(Lot.campaign_id == campaign_id).limit(1)) is None:
        raise ServiceError("Cette campagne n'a pas encore de lots : agrégez-la d'abord.")
    return start_job(
        actor,
        DOSSIER,
        key=f"campaign:{campaign_id}",
        params={"campaign_id": campaign_id},
        title=f"Dossier de consultation — {campaign.title}",
    )
