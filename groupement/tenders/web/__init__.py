"""Suppliers, offers and their analysis: the coordinator records and scores; accountant and admin read."""

from flask import Blueprint

bp = Blueprint("offers", __name__)

from groupement.tenders.web import routes  # noqa: E402,F401  (routes register on bp)
