"""The tender files, downloaded from the lots pages (DQE, BPU, recap per lot; the campaign's
workbook and commune annexes; the whole dossier as a background job, tenders/dossier_job.py).
Tenders come after lots in the pipeline, so these routes join the lots blueprint from here: the
endpoints stay `lots.export_*`."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, url_for

from groupement.core import transaction
from groupement.core.access import COORDINATOR_SIDE_ROLES
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.lots.web import bp
from groupement.tenders.dossier_job import start_dossier
from groupement.tenders.exports import campaign_file, commune_annex, lot_file
from groupement.web.access import current_actor, roles_required
from groupement.web.downloads import xlsx_response


@bp.route("/lots/<int:lot_id>/dqe.xlsx")
@roles_required(*COORDINATOR_SIDE_ROLES)
def export_dqe(lot_id: int):
    return xlsx_response(*lot_file(current_actor(), lot_id, "dqe"))


@bp.route("/lots/<int:lot_id>/bpu.xlsx")
@roles_required(*COORDINATOR_SIDE_ROLES)
def export_bpu(lot_id: int):
    return xlsx_response(*lot_file(current_actor(), lot_id, "bpu"))


@bp.route("/lots/<int:lot_id>/recapitulatif.xlsx")
@roles_required(*COORDINATOR_SIDE_ROLES)
def export_recap(lot_id: int):
    return xlsx_response(*lot_file(current_actor(), lot_id, "recap"))


@bp.route("/campagnes/<int:campaign_id>/lots.xlsx")
@roles_required(*COORDINATOR_SIDE_ROLES)
def export_all(campaign_id: int):
    return _campaign_download(lambda: xlsx_response(*campaign_file(current_actor(), campaign_id, "lots")), campaign_id)


@bp.route("/campagnes/<int:campaign_id>/dossier", methods=["POST"])
@roles_required(*COORDINATOR_SIDE_ROLES)
def export_zip(campaign_id: int):
    """Starts (or finds, on a double click) the dossier job and shows its page at once."""

    def start():
        job = start_dossier(current_actor(), campaign_id)
        return redirect(url_for("jobs.show", job_id=job.id), 303)

    return _campaign_download(start, campaign_id)


@bp.route("/campagnes/<int:campaign_id>/annexes/<int:commune_id>.xlsx")
@roles_required(*COORDINATOR_SIDE_ROLES)
def export_annex(campaign_id: int, commune_id: int):
    return _campaign_download(
        lambda: xlsx_response(*commune_annex(current_actor(), campaign_id, commune_id)), campaign_id
    )


def _campaign_download(respond: Callable, campaign_id: int):
    try:
        return respond()
    except (NotFound, Forbidden):
        raise
    except ServiceError as error:
        transaction.discard()
        flash(str(error), "error")
        return redirect(url_for("lots.index", campaign_id=campaign_id))
