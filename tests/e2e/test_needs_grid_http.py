"""The needs grid over HTTP: what the agent types survives every refusal."""

from __future__ import annotations

import re

from tests.conftest import csrf_token_of


def grid_path(world) -> str:
    return f"/campagnes/{world.ids['campaign']}/besoins"


def post_grid(client, world, **fields):
    page = client.get(grid_path(world)).get_data(as_text=True)
    item = world.ids["item"]
    version = re.search(rf'name="v-{item}" value="(\d+)"', page).group(1)
    original = re.search(rf'name="oq-{item}" value="(\d*)"', page).group(1)
    data = {"csrf_token": csrf_token_of(page), f"v-{item}": version, f"oq-{item}": original, f"oc-{item}": ""}
    data.update(fields)
    return client.post(grid_path(world), data=data)


def test_the_agent_sees_the_grid_with_the_quantity_and_the_estimated_amounts(client_as, world):
    page = client_as("agent_a").get(grid_path(world)).get_data(as_text=True)
    assert f'name="q-{world.ids["item"]}"' in page
    assert 'value="3"' in page
    assert "2\u202f547,00\xa0€" in page  # 3 × 849,00 €
    assert "Soumettre les besoins" in page


def test_a_saved_quantity_is_shown_after_the_redirect(client_as, world):
    client = client_as("agent_a")
    item = world.ids["item"]
    response = post_grid(client, world, **{f"q-{item}": "7", f"c-{item}": "Pour les écoles"})
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "1 ligne enregistrée." in page
    assert f'name="q-{item}" id="q-{item}"' in page and 'value="7"' in page
    assert 'value="Pour les écoles"' in page


def test_a_negative_quantity_is_refused_with_the_typed_value_kept_and_nothing_written(client_as, world):
    client = client_as("agent_a")
    item = world.ids["item"]
    response = post_grid(client, world, **{f"q-{item}": "-4", f"c-{item}": "gardé"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "quantité négative (-4)" in page and 'value="-4"' in page and 'value="gardé"' in page
    assert 'value="3"' in client.get(grid_path(world)).get_data(as_text=True)


def test_a_stale_save_gets_a_conflict_naming_the_other_value(client_as, world):
    item = world.ids["item"]
    first, second = client_as("agent_a"), client_as("agent_a")
    stale_page = second.get(grid_path(world)).get_data(as_text=True)
    assert post_grid(first, world, **{f"q-{item}": "10"}).status_code == 302
    data = {
        "csrf_token": csrf_token_of(stale_page),
        f"q-{item}": "12",
        f"v-{item}": re.search(rf'name="v-{item}" value="(\d+)"', stale_page).group(1),
        f"oq-{item}": "3",
        f"oc-{item}": "",
    }
    response = second.post(grid_path(world), data=data)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "modifiée entre-temps" in page and ": 10." in page and 'value="12"' in page
    # Saving again from the conflict page applies the agent's value deliberately.
    assert post_grid(second, world, **{f"q-{item}": "12"}).status_code == 302


def test_the_signatory_sees_the_grid_read_only(client_as, world):
    page = client_as("signatory_a").get(grid_path(world)).get_data(as_text=True)
    assert f'name="q-{world.ids["item"]}"' not in page
    assert "Enregistrer" not in page
