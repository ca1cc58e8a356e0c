"""The needs journey without friction over HTTP (no JavaScript): a letter in a quantity is refused
beside the field with a link to it, the search ignores accents, submit and validate go through a
page that says what they do, and Back after confirming an import says it is done."""

from __future__ import annotations

import re

from sqlalchemy import select

from groupement.campaigns.models import PendingUpload, Submission
from groupement.campaigns.rules import SubmissionStatus
from groupement.extensions import db
from tests.conftest import csrf_token_of
from tests.e2e.test_needs_grid_http import grid_path, post_grid


def status_of(app, world) -> SubmissionStatus:
    with app.app_context():
        return db.session.get(Submission, world.ids["submission_a"]).status


def test_a_letter_typed_in_a_quantity_is_refused_beside_the_field_with_a_link_to_it(client_as, world):
    client = client_as("agent_a")
    item = world.ids["item"]
    page = client.get(grid_path(world)).get_data(as_text=True)
    assert f'type="text" name="q-{item}"' in page and 'inputmode="numeric"' in page  # a letter reaches the server
    response = post_grid(client, world, **{f"q-{item}": "12a"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    beside = re.search(rf'<p class="cell-error" id="err-{item}">([^<]+)</p>', page)
    assert beside and beside.group(1) == "« 12a » n&#39;est pas un nombre entier"
    assert f'aria-describedby="err-{item}"' in page and 'value="12a"' in page
    # The message at the top links to the faulty quantity (no script needed to reach it).
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "1 ligne à revoir : rien n'a été enregistré" in summary
    assert f'href="#q-{item}"' in summary
    assert f'data-first-error="q-{item}"' in page
    assert 'value="3"' in client.get(grid_path(world)).get_data(as_text=True)  # nothing written


def test_the_grid_search_without_javascript_ignores_accents_and_case(client_as, world):
    client = client_as("agent_a")
    item = world.ids["item"]
    for query in ("PORTABLE DE TÉST", "portable de test"):
        page = client.get(grid_path(world), query_string={"q": query}).get_data(as_text=True)
        assert f'name="q-{item}"' in page, query
    assert f'name="q-{item}"' not in client.get(grid_path(world), query_string={"q": "écran"}).get_data(as_text=True)


def test_the_catalog_page_finds_ecran_whether_typed_with_an_accent_or_not(client_as, world):
    client = client_as("coordinator")
    for query in ("ecran", "Écran", "ÉCRAN"):
        page = client.get("/catalogue", query_string={"q": query}).get_data(as_text=True)
        assert "INF-ECRAN" in page and "INF-IMPR" not in page, query


def test_submitting_first_shows_what_will_be_submitted_and_changes_nothing(app, client_as, world):
    client = client_as("agent_a")
    grid = client.get(grid_path(world)).get_data(as_text=True)
    assert f'href="{grid_path(world)}/soumettre"' in grid
    assert f'action="{grid_path(world)}/soumettre"' not in grid  # no one-click submission from the grid
    page = client.get(f"{grid_path(world)}/soumettre").get_data(as_text=True)
    assert re.search(r"data-summary-count>1 ligne non nulle</strong>\s+sur 1 article", page)
    assert "2\u202f547,00\xa0€" in page  # 3 × 849,00 €
    assert "Confirmer la soumission" in page
    assert status_of(app, world) is SubmissionStatus.DRAFT
    response = client.post(f"{grid_path(world)}/soumettre", data={"csrf_token": csrf_token_of(page)})
    assert response.status_code == 302
    assert status_of(app, world) is SubmissionStatus.SUBMITTED


def test_the_signatory_validates_from_the_review_page_not_from_the_grid(app, client_as, world):
    agent = client_as("agent_a")
    page = agent.get(f"{grid_path(world)}/soumettre").get_data(as_text=True)
    agent.post(f"{grid_path(world)}/soumettre", data={"csrf_token": csrf_token_of(page)})
    signatory = client_as("signatory_a")
    grid = signatory.get(grid_path(world)).get_data(as_text=True)
    assert "Vérifier puis valider les besoins" in grid and f'action="{grid_path(world)}/valider"' not in grid
    review = signatory.get(f"{grid_path(world)}/valider").get_data(as_text=True)
    assert "1 ligne non nulle" in review and "Valider les besoins" in review and "Renvoyer à l'agent" in review
    # Compared with the 2026 campaign of the same groupement: 4 laptops then, 3 now (849,00 € each).
    assert "« Recensement attribué » (2026)" in review and "Montant HT 2026" in review
    assert "3\u202f396,00\xa0€" in review and "-849,00\xa0€" in review
    assert status_of(app, world) is SubmissionStatus.SUBMITTED
    response = signatory.post(f"{grid_path(world)}/valider", data={"csrf_token": csrf_token_of(review)})
    assert response.status_code == 302
    assert status_of(app, world) is SubmissionStatus.VALIDATED


def test_the_agent_sees_the_review_page_without_the_validate_button(client_as, world):
    page = client_as("agent_a").get(f"{grid_path(world)}/valider").get_data(as_text=True)
    assert "Seul le signataire de la commune valide les besoins." in page
    assert '<button type="submit" class="button">Valider les besoins</button>' not in page


def test_the_import_preview_shows_the_totals_before_and_after(client_as, world):
    # The world's pending upload sets the 849,00 € laptop from 3 to 5: 2 547,00 → 4 245,00 €.
    page = client_as("agent_a").get(f"{grid_path(world)}/import/{world.ids['upload_a']}").get_data(as_text=True)
    assert re.search(r"data-effect-before>2\u202f547,00\xa0€ HT", page)
    assert re.search(r"data-effect-after><strong>4\u202f245,00\xa0€</strong> HT", page)
    assert re.search(r"data-effect-difference><strong>\+1\u202f698,00\xa0€</strong> HT", page)


def test_back_after_confirming_an_import_says_it_is_done_and_a_second_click_does_not_fail(app, client_as, world):
    client = client_as("agent_a")
    preview_url = f"{grid_path(world)}/import/{world.ids['upload_a']}"
    page = client.get(preview_url).get_data(as_text=True)
    confirmed = client.post(f"{preview_url}/confirmer", data={"csrf_token": csrf_token_of(page)})
    assert confirmed.status_code == 302 and confirmed.location.endswith(grid_path(world))
    with app.app_context():
        assert db.session.get(PendingUpload, world.ids["upload_a"]) is None

    back = client.get(preview_url)  # the browser's Back button
    assert back.status_code == 200
    text = back.get_data(as_text=True)
    assert "Cet import est déjà confirmé" in text and "« besoins.xlsx »" in text and "1 ligne enregistrée" in text

    again = client.post(f"{preview_url}/confirmer", data={"csrf_token": csrf_token_of(page)})
    assert again.status_code == 302 and again.location.endswith(preview_url)


def test_back_after_cancelling_an_import_says_it_was_cancelled(client_as, world):
    client = client_as("agent_a")
    preview_url = f"{grid_path(world)}/import/{world.ids['upload_a_spare']}"
    page = client.get(preview_url).get_data(as_text=True)
    assert client.post(f"{preview_url}/annuler", data={"csrf_token": csrf_token_of(page)}).status_code == 302
    back = client.get(preview_url)
    assert back.status_code == 200 and "Cet import a été annulé" in back.get_data(as_text=True)


def test_another_communes_finished_import_stays_not_found(app, client_as, world):
    client = client_as("agent_a")
    preview_url = f"{grid_path(world)}/import/{world.ids['upload_a']}"
    page = client.get(preview_url).get_data(as_text=True)
    client.post(f"{preview_url}/confirmer", data={"csrf_token": csrf_token_of(page)})
    assert client_as("agent_b").get(preview_url).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(PendingUpload).where(PendingUpload.id == world.ids["upload_a"])) is None
