"""The aggregation of a campaign into lots as a background job: at 1 000 communes the validated
needs are a million rows. The coordinator confirms on the board; the POST checks at once what
it can (campaign closed, validated needs, no lot published) and starts the job; the job page
links to the lots once they are written (all of them, or none: one unit of work)."""

from __future__ import annotations

from typing import Any

from flask import url_for

from groupement.campaigns import scope as campaign_scope
from groupement.core.access import Actor, Role
from groupement.core.errors import NotFound
from groupement.core.jobs import Job, JobKind, JobResult, Progress, register, start_job
from groupement.lots.campaign_aggregation import aggregate_campaign, check_aggregable

AGGREGATE = "lots.aggregate"


def _campaign_id(params: dict[str, Any]) -> int:
    value = params.get("campaign_id")
    if not isinstance(value, int):
        raise NotFound("Campagne introuvable.")
    return value


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count > 1 else ''}"


def _check(actor: Actor, params: dict[str, Any]) -> None:
    campaign_scope.get_campaign(actor, _campaign_id(params))


def aggregate(actor: Actor, params: dict[str, Any], progress: Progress) -> JobResult:
    progress(0, 1, "Agrégation des besoins validés")
    report = aggregate_campaign(actor, _campaign_id(params))
    progress(1, 1, "Lots enregistrés")
    summary = (
        f"Besoins validés agrégés : {plural(report.lots, 'lot')}, {plural(report.lines, 'ligne')}, "
        f"{plural(report.communes, 'commune')}. Vérifiez les lots avant de les publier."
    )
    return JobResult(url=params.get("lots_url"), summary=summary)


register(
    JobKind(
        name=AGGREGATE,
        run=aggregate,
        roles=frozenset({Role.COORDINATOR}),
        check=_check,
        writes=True,
        back_url=lambda params: url_for("campaigns.board", campaign_id=_campaign_id(params)),
    )
)


def start_aggregation(actor: Actor, campaign_id: int) -> Job:
    """Refused at once (ServiceError) when the campaign cannot be aggregated now."""
    campaign = check_aggregable(actor, campaign_id, needs=True)
    return start_job(
        actor,
        AGGREGATE,
        key=f"campaign:{campaign_id}",
        params={"campaign_id": campaign_id, "lots_url": url_for("lots.index", campaign_id=campaign_id)},
        title=f"Agrégation en lots — {campaign.title}",
    )
