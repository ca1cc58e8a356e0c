"""The DECP page and download: the coordinator publishes; accountant and admin may read."""

from __future__ import annotations

from flask import render_template

from groupement.contracts.decp import decp_json, decp_report, export_decp
from groupement.contracts.web.opendata import bp
from groupement.core.access import COORDINATOR_SIDE_ROLES
from groupement.core.timeutil import paris_today
from groupement.web.access import current_actor, roles_required
from groupement.web.downloads import file_response


@bp.route("/donnees-essentielles")
@roles_required(*COORDINATOR_SIDE_ROLES)
def index():
    report = decp_report(paris_today(), current_actor())
    return render_template("contracts/opendata/index.html", report=report)


@bp.route("/donnees-essentielles/decp.json")
@roles_required(*COORDINATOR_SIDE_ROLES)
def download():
    """The file to publish: the contracts in it for the first time keep today as their date of first
    publication (written by the request's unit of work)."""
    report = export_decp(paris_today(), current_actor())
    return file_response(decp_json(report), report.filename, "application/json")
