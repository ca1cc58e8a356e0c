"""A stale save of the needs grid over HTTP: 409, who changed the line, when, from what to what."""

from __future__ import annotations

import re

from tests.conftest import csrf_token_of
from tests.e2e.test_needs_grid_http import grid_path, post_grid


def test_a_stale_save_is_a_409_saying_who_changed_the_line_when_and_from_what_to_what(client_as, world):
    item = world.ids["item"]
    first, second = client_as("agent_a"), client_as("agent_a")
    stale_page = second.get(grid_path(world)).get_data(as_text=True)
    assert post_grid(first, world, **{f"q-{item}": "10"}).status_code == 302
    response = second.post(
        grid_path(world),
        data={
            "csrf_token": csrf_token_of(stale_page),
            f"q-{item}": "12",
            f"v-{item}": re.search(rf'name="v-{item}" value="(\d+)"', stale_page).group(1),
            f"oq-{item}": "3",
            f"oc-{item}": "",
        },
    )

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert re.search(r"modifiée par [^<]+ à \d\d:\d\d : 3 → 10", page), page
    assert "rien n&#39;a été enregistré" in page or "rien n'a été enregistré" in page
    fresh = first.get(grid_path(world)).get_data(as_text=True)
    assert 'value="10"' in fresh and 'value="12"' not in fresh  # the stale 12 was not written
