from flask import Blueprint, render_template

from groupement.core.access import Role
from groupement.dashboard.queries import home_summary
from groupement.suppliers import space
from groupement.web.access import current_actor, roles_required

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@roles_required(*Role)
def home():
    if current_actor().role is Role.SUPPLIER:
        # The supplier's home: the orders to acknowledge, the deliveries to declare.
        return render_template("suppliers/home.html", home=space.home(current_actor()))
    return render_template("dashboard/home.html", summary=home_summary(current_actor()))
