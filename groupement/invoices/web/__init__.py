"""Invoices: the accountants' reconciliation board, each invoice's checks, split, statements and
recovery titles; the communes' own statements and ledger, and their service fait."""

from flask import Blueprint

bp = Blueprint("invoices", __name__)

from groupement.invoices.web import batches, routes, service_fait, titles, titles_batch  # noqa: E402,F401  (routes register on bp)
