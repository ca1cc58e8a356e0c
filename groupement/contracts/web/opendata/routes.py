"""The DECP page and download: the coordinator publishes; accountant and admin may read."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from groupement.contracts.decp_job import start_decp
from groupement.contracts.decp_page import decp_page
from groupement.contracts.web.opendata import bp
from groupement.core.access import COORDINATOR_SIDE_ROLES
from groupement.core.timeutil import paris_today
from groupement.web.access import current_actor, roles_required
from groupement.web.pagination import page_args


@bp.route("/donnees-essentielles")
@roles_required(*COORDINATOR_SIDE_ROLES)
def index():
    # One page of the due contracts, read and mapped alone (the file, built by a job, maps them all).
    page = decp_page(paris_today(), current_actor(), *page_args())
    return render_template("contracts/opendata/index.html", page=page, contracts=page.contracts)


@bp.route("/donnees-essentielles/decp", methods=["POST"])
@roles_required(*COORDINATOR_SIDE_ROLES)
def download():
    """The file to publish, built by a background job (contracts/decp_job.py): the contracts in it
    for the first time keep today as their date of first publication (the job's unit of work)."""
    job = start_decp(current_actor(), paris_today())
    return redirect(url_for("jobs.show", job_id=job.id), 303)
