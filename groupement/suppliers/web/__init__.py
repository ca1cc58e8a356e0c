"""The supplier space's pages (/espace-fournisseur), the coordinator's supplier accounts
(/fournisseurs/<id>/comptes) and the communes' shop (web/shop.py)."""

from flask import Blueprint

bp = Blueprint("suppliers", __name__)

from groupement.suppliers.web import accounts, routes  # noqa: E402,F401  (registers the routes)
