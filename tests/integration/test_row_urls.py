"""web/row_urls.url_pattern: the URL url_for gives for each row, from a single url_for."""

from __future__ import annotations

import pytest
from flask import url_for

from groupement.web.row_urls import MARKER, url_pattern


def test_each_row_gets_the_url_url_for_would_give(app):
    with app.test_request_context("/"):
        cases = [
            ("lots.show", "lot_id", {}),
            ("lots.export_annex", "commune_id", {"campaign_id": 7}),
            ("invoices.show", "invoice_id", {}),
            ("invoices.contract", "contract_id", {"page": 2, "q": "a&b é"}),  # a query string after the id
            ("lots.index", "campaign_id", {"_anchor": "annexes"}),
        ]
        for endpoint, key, values in cases:
            pattern = url_pattern(endpoint, key, **values)
            for row_id in (1, 9, 10, 123_456_789, MARKER - 1):
                assert pattern(row_id) == url_for(endpoint, **values, **{key: row_id})


def test_a_marker_that_would_be_ambiguous_is_refused(app):
    with app.test_request_context("/"), pytest.raises(ValueError):
        url_pattern("invoices.contract", "contract_id", page=MARKER)  # where would the id go?
