"""The job pages: « Mes travaux », one job's page (a progress bar polled by static/jobs.js, a page
that refreshes itself without JavaScript), its JSON state, its result, the retry button."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for

from groupement.core import jobs
from groupement.core.errors import NotFound
from groupement.core.jobs_runner import progress_of
from groupement.web.access import current_actor, roles_required
from groupement.web.downloads import file_response

bp = Blueprint("jobs", __name__)

# Seconds between two refreshes of a job page without JavaScript.
REFRESH_SECONDS = 3


@bp.app_context_processor
def job_menu():
    """base.html shows « Mes travaux » to the roles that start jobs."""
    return {"starts_jobs": jobs.starts_jobs}


def _state(job: jobs.Job) -> dict:
    done, total, step = progress_of(job) or (0, 0, "")
    return {
        "id": job.id,
        "state": job.state.value,
        "label": job.state.label,
        "active": job.state.active,
        "done": done,
        "total": total,
        "step": step,
        "error": job.error,
    }


@bp.route("/travaux")
@roles_required()
def index():
    return render_template("jobs/index.html", jobs=jobs.jobs_of(current_actor()))


@bp.route("/travaux/<int:job_id>")
@roles_required()
def show(job_id: int):
    job = jobs.visible_job(current_actor(), job_id)
    kind = jobs.kind_of(job)
    back = kind.back_url(job.params) if kind.back_url else None
    return render_template(
        "jobs/show.html",
        job=job,
        status=_state(job),
        back=back,
        result_page=jobs.result_page_of(job),
        refresh=REFRESH_SECONDS,
        JobState=jobs.JobState,
    )


@bp.route("/travaux/<int:job_id>/etat.json")
@roles_required()
def status(job_id: int):
    response = jsonify(_state(jobs.visible_job(current_actor(), job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/travaux/<int:job_id>/resultat")
@roles_required()
def download(job_id: int):
    job = jobs.visible_job(current_actor(), job_id)
    if job.state is not jobs.JobState.DONE:
        raise NotFound("Ce travail n'a pas encore de résultat.")
    if job.result is None:
        if job.result_url:
            return redirect(job.result_url, 303)
        raise NotFound("Ce travail n'a pas de fichier à télécharger.")
    return file_response(
        job.result, job.result_filename or "resultat", job.result_mimetype or "application/octet-stream"
    )


@bp.route("/travaux/<int:job_id>/relancer", methods=["POST"])
@roles_required()
def retry(job_id: int):
    job = jobs.restart_job(current_actor(), job_id)
    return redirect(url_for("jobs.show", job_id=job.id), 303)
