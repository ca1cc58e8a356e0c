"""Award of the lots and the framework contracts (groupement/savings/web.py adds the savings pages)."""

from flask import Blueprint

bp = Blueprint("contracts", __name__)

from groupement.contracts.web import life, routes  # noqa: E402,F401  (routes register on bp)
