from flask import Blueprint, render_template

from groupement.dashboard.queries import home_summary
from groupement.web.access import current_actor, roles_required

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@roles_required()
def home():
    return render_template("dashboard/home.html", summary=home_summary(current_actor()))
