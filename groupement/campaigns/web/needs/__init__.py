"""The communes' side of a campaign: the needs grid, the Excel round trip, the workflow."""

from flask import Blueprint

bp = Blueprint("needs", __name__, url_prefix="/campagnes/<int:campaign_id>/besoins")

from groupement.campaigns.web.needs import pdf, routes, upload  # noqa: E402,F401  (routes register on bp)
