"""Several lots published at once from the lots page: a confirmation, all or nothing, each
refusal named, another coordinator's campaign not found."""

from __future__ import annotations

from sqlalchemy import select

from groupement.extensions import db
from groupement.lots.models import Lot, LotLine
from groupement.lots.rules import LotStatus
from tests.conftest import csrf_token_of
from tests.e2e.test_lots_pages import followed, post_form


def statuses(app, campaign_id: int) -> dict[int, LotStatus]:
    with app.app_context():
        return {lot.number: lot.status for lot in db.session.scalars(select(Lot).where(Lot.campaign_id == campaign_id))}


def test_the_ticked_lots_are_published_in_one_step_after_the_confirmation(client_as, world, app):
    client = client_as("coordinator")
    index = f"/campagnes/{world.ids['lots_campaign']}/lots"
    page = client.get(index).get_data(as_text=True)
    assert "Publier la sélection" in page and page.count('name="lot_ids"') == 3
    ticked = [world.ids["lot"], world.ids["lot_2"]]

    refused = followed(client, post_form(client, index, f"{index}/publier", lot_ids=ticked))
    assert "Cochez la case pour confirmer la publication." in refused
    assert set(statuses(app, world.ids["lots_campaign"]).values()) == {LotStatus.DRAFT}

    done = followed(client, post_form(client, index, f"{index}/publier", lot_ids=ticked, confirm="y"))
    assert "2 lots publiés (n° 1, n° 2)" in done
    assert statuses(app, world.ids["lots_campaign"]) == {
        1: LotStatus.PUBLISHED,
        2: LotStatus.PUBLISHED,
        3: LotStatus.DRAFT,
    }
    assert done.count('name="lot_ids"') == 1  # only the draft lot is left to tick


def test_one_refused_lot_publishes_none_and_each_refusal_is_named(client_as, world, app):
    client = client_as("coordinator")
    index = f"/campagnes/{world.ids['lots_campaign']}/lots"
    with app.app_context():  # lot 3 loses its lines: nothing to publish there
        for line in db.session.scalars(select(LotLine).where(LotLine.lot_id == world.ids["lot_3"])):
            line.excluded_reason = "Hors besoin"
        db.session.commit()
    ticked = [world.ids["lot"], world.ids["lot_3"]]
    page = followed(client, post_form(client, index, f"{index}/publier", lot_ids=ticked, confirm="y"))
    assert (
        "Aucun lot n&#39;a été publié (1 refus) : lot n° 3 : " in page or "Aucun lot n'a été publié (1 refus)" in page
    )
    assert "aucune ligne retenue" in page
    assert set(statuses(app, world.ids["lots_campaign"]).values()) == {LotStatus.DRAFT}


def test_odd_selections_are_refused_without_writing(client_as, world, app):
    client = client_as("coordinator")
    index = f"/campagnes/{world.ids['lots_campaign']}/lots"
    for odd in (["abc"], ["0"], ["99999999999"], ["999999"], ["\x00"]):
        response = post_form(client, index, f"{index}/publier", lot_ids=odd, confirm="y")
        assert response.status_code in (302, 400, 404, 422)  # a refused form: 422; the NUL byte: 400
    assert set(statuses(app, world.ids["lots_campaign"]).values()) == {LotStatus.DRAFT}


def test_another_coordinator_cannot_publish_these_lots(client_as, world, app):
    client = client_as("other_coordinator")
    index = f"/campagnes/{world.ids['lots_campaign']}/lots"
    token_page = client.get("/").get_data(as_text=True)
    response = client.post(
        f"{index}/publier",
        data={"csrf_token": csrf_token_of(token_page), "lot_ids": [world.ids["lot"]], "confirm": "y"},
    )
    assert response.status_code == 404
    assert set(statuses(app, world.ids["lots_campaign"]).values()) == {LotStatus.DRAFT}
