"""The purchasing officer's lots: aggregation, edits, procedure advice, publication, tender files."""

from flask import Blueprint

bp = Blueprint("lots", __name__)

from groupement.web.lots import routes  # noqa: E402,F401  (routes register on bp)
