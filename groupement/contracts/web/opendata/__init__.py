"""Open data: the essential data of the framework contracts (DECP), listed and downloaded."""

from flask import Blueprint

bp = Blueprint("opendata", __name__)

from groupement.contracts.web.opendata import routes  # noqa: E402,F401  (routes register on bp)
