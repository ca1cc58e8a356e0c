"""The coordinator's side of the needs campaigns, and the campaign list every role sees."""

from flask import Blueprint, render_template

from groupement.services.campaigns import list_campaigns
from groupement.web.access import current_actor, roles_required

bp = Blueprint("campaigns", __name__, url_prefix="/campagnes")


@bp.route("")
@roles_required()
def index():
    return render_template("campaigns/index.html", campaigns=list_campaigns(current_actor()))
