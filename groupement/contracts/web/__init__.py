"""Award of the lots, the framework contracts and the savings of each campaign."""

from flask import Blueprint

bp = Blueprint("contracts", __name__)

from groupement.contracts.web import routes  # noqa: E402,F401  (routes register on bp)
