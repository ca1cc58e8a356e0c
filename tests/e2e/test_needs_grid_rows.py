"""The grid's rows are kept drawn per worker (campaigns/web/needs/grid_rows.py): a kept row can
never show what the database no longer holds, nor one person's refused entry to another."""

from __future__ import annotations

import html
from decimal import Decimal

from groupement.campaigns.web.needs import grid_rows
from groupement.catalog.models import CatalogItem
from groupement.extensions import db
from tests.e2e.test_needs_grid_http import grid_path, post_grid


def _grid(client, world) -> str:
    return html.unescape(client.get(grid_path(world)).get_data(as_text=True))


def test_an_item_edited_in_the_catalog_shows_its_new_designation_and_price_at_the_next_read(app, client_as, world):
    client = client_as("agent_a")
    assert "849,00" in _grid(client, world)  # drawn, and kept
    with app.app_context():
        item = db.session.get(CatalogItem, world.ids["item"])
        item.designation, item.unit_price_ht = "Portable 14 pouces reconditionné", Decimal("799.00")
        db.session.commit()
    page = _grid(client, world)
    assert "Portable 14 pouces reconditionné" in page and "799,00" in page
    assert "849,00" not in page


def test_a_line_saved_by_one_agent_is_read_by_the_other_with_its_new_quantity_and_version(app, client_as, world):
    first, second = client_as("agent_a"), client_as("agent_a")
    item = world.ids["item"]
    before = _grid(second, world)
    assert f'name="v-{item}" value="1"' in before
    assert post_grid(first, world, **{f"q-{item}": "11", f"c-{item}": "deux écoles"}).status_code == 302
    after = _grid(second, world)
    assert f'name="v-{item}" value="2"' in after and 'value="11"' in after and 'value="deux écoles"' in after


def test_a_refused_entry_is_drawn_for_its_author_only_and_never_kept(app, client_as, world):
    item = world.ids["item"]
    refused = post_grid(client_as("agent_a"), world, **{f"q-{item}": "-4"})
    assert refused.status_code == 422
    assert 'value="-4"' in refused.get_data(as_text=True)
    other = _grid(client_as("agent_a"), world)
    assert 'value="-4"' not in other and 'aria-invalid="true"' not in other


def test_the_table_of_rows_drops_its_oldest_past_its_bound(app, client_as, world, monkeypatch):
    monkeypatch.setattr(grid_rows, "ROWS_KEPT", 1)
    app.extensions.pop("needs_grid_rows", None)  # built again with the bound above
    client = client_as("agent_a")
    _grid(client, world)
    table = app.extensions["needs_grid_rows"]
    assert len(table.rows) == 1
    with app.app_context():
        db.session.get(CatalogItem, world.ids["item"]).designation = "Portable nouvelle gamme"
        db.session.commit()
    assert "Portable nouvelle gamme" in _grid(client, world)
    assert len(table.rows) == 1
    app.extensions.pop("needs_grid_rows", None)
