"""Purchase orders (bons de commande) under the framework contracts, deliveries, consumption."""

from flask import Blueprint

bp = Blueprint("orders", __name__)

from groupement.contracts.web.orders import routes  # noqa: E402,F401  (routes register on bp)
