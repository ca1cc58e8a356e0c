"""The purchasing officer's lots: aggregation, edits, procedure advice, publication, tender files."""

from flask import Blueprint

bp = Blueprint("lots", __name__)

from groupement.lots.web import routes  # noqa: E402,F401  (routes register on bp)
