"""The DECP page and download: the coordinator publishes; accountant and admin may read."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from groupement.contracts.decp import decp_report
from groupement.contracts.decp_job import start_decp
from groupement.contracts.web.opendata import bp
from groupement.core.access import COORDINATOR_SIDE_ROLES
from groupement.core.timeutil import paris_today
from groupement.web.access import current_actor, roles_required
from groupement.web.pagination import paginate_list


@bp.route("/donnees-essentielles")
@roles_required(*COORDINATOR_SIDE_ROLES)
def index():
    report = decp_report(paris_today(), current_actor())
    # The report maps every due contract (the file needs them all); the page shows them in pages.
    exported = paginate_list(report.exported)
    problems = paginate_list(report.problems, page_arg="page_incomplets")
    args = {name: page.page for name, page in (("page", exported), ("page_incomplets", problems)) if page.page > 1}
    return render_template(
        "contracts/opendata/index.html", report=report, exported=exported, problems=problems, args=args
    )


@bp.route("/donnees-essentielles/decp", methods=["POST"])
@roles_required(*COORDINATOR_SIDE_ROLES)
def download():
    """The file to publish, built by a background job (contracts/decp_job.py): the contracts in it
    for the first time keep today as their date of first publication (the job's unit of work)."""
    job = start_decp(current_actor(), paris_today())
    return redirect(url_for("jobs.show", job_id=job.id), 303)
