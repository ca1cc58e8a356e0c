"""The DECP export as a background job: the file of every due contract (at a departmental
groupement, thousands), and the first publication date stored for the contracts published for
the first time, in the job's one unit of work (the file and the dates, or neither)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import url_for

from groupement.contracts.decp import decp_json, export_decp
from groupement.core.access import COMMUNE_ROLES, COORDINATOR_SIDE_ROLES, Actor
from groupement.core.errors import NotFound
from groupement.core.jobs import Job, JobKind, JobResult, Progress, register, start_job

DECP = "contracts.decp"


def _check(actor: Actor, params: dict[str, Any]) -> None:
    if actor.role in COMMUNE_ROLES:
        raise NotFound("Travail introuvable.")


def _today(params: dict[str, Any]) -> date:
    try:
        return date.fromisoformat(str(params.get("today")))
    except ValueError as error:
        raise NotFound("Travail introuvable.") from error


def build_decp(actor: Actor, params: dict[str, Any], progress: Progress) -> JobResult:
    progress(0, 1, "Données essentielles des marchés")
    report = export_decp(_today(params), actor)
    content = decp_json(report).encode("utf-8")
    progress(1, 1, "Fichier écrit")
    count = len(report.document["marches"]["marche"])
    return JobResult(
        content=content,
        filename=report.filename,
        mimetype="application/json",
        summary=f"{count} marché{'s' if count > 1 else ''} dans le fichier.",
    )


register(
    JobKind(
        name=DECP,
        run=build_decp,
        roles=COORDINATOR_SIDE_ROLES,
        check=_check,
        writes=True,
        back_url=lambda params: url_for("opendata.index"),
    )
)


def start_decp(actor: Actor, today: date) -> Job:
    return start_job(
        actor,
        DECP,
        key=f"decp:{today.isoformat()}",
        params={"today": today.isoformat()},
        title=f"Données essentielles (DECP) du {today:%d/%m/%Y}",
    )
