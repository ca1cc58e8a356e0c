"""A long needs grid comes in pages of GRID_PAGE_SIZE items: each page small, its place said
("Articles 101 à 200 sur 251"), the totals of the whole submission on every page, the search
across every page (accents ignored), and « Enregistrer et page suivante » going on."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask import url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, update

from groupement.campaigns.grid_page import GRID_PAGE_SIZE, family_totals
from groupement.campaigns.models import CampaignItem, NeedLine, Submission
from groupement.campaigns.participation import campaign_items, families_of
from groupement.campaigns.rules import estimated_amount
from groupement.catalog.models import CatalogItem
from groupement.catalog.rules import search_key
from groupement.extensions import db
from groupement.organisations.families import Family
from tests import factories
from tests.conftest import csrf_token_of
from tests.e2e.test_needs_grid_http import grid_path
from tests.queries import count_queries

EXTRA = 2 * GRID_PAGE_SIZE + 50  # three pages with the world's own item


@pytest.fixture
def long_grid(app, world):
    return with_extra_items(app, world, EXTRA)


def with_extra_items(app, world, count: int):
    """The world, its open campaign holding `count` more computer items (LONG-0000…)."""
    with app.app_context():
        rows = [
            {
                "ref": f"LONG-{n:04d}",
                "designation": (f"Écran supplémentaire {n}" if n % 50 == 0 else f"Souris de bureau {n}"),
                "family": Family.INFORMATIQUE,
                "cpv_code": "30237410-6",
                "unit": "unité",
                "unit_price_ht": Decimal("4.215"),
                "vat_rate": Decimal("20.00"),
                "eco_participation": Decimal("0"),
                "account": "2183",
                "active": True,
            }
            for n in range(count)
        ]
        for row in rows:
            row["search_key"] = search_key(f"{row['designation']} {row['ref']}")
        ids = db.session.scalars(insert(CatalogItem).returning(CatalogItem.id), rows).all()
        db.session.execute(
            insert(CampaignItem), [{"campaign_id": world.ids["campaign"], "item_id": item_id} for item_id in ids]
        )
        db.session.commit()
    return world


def quantity_fields(page: str) -> list[str]:
    return re.findall(r'name="q-(\d+)"', page)


def test_a_long_grid_comes_in_small_pages_that_say_where_they_stand(client_as, long_grid):
    client = client_as("agent_a")
    first = client.get(grid_path(long_grid))
    page = first.get_data(as_text=True)
    assert len(quantity_fields(page)) == GRID_PAGE_SIZE
    assert f"Articles 1 à {GRID_PAGE_SIZE} sur {EXTRA + 1}" in page and "page 1 sur 3" in page
    assert len(first.data) < 300_000
    last = client.get(grid_path(long_grid) + "?page=3").get_data(as_text=True)
    assert len(quantity_fields(last)) == EXTRA + 1 - 2 * GRID_PAGE_SIZE
    assert "Page suivante" not in last and "Page précédente" in last
    beyond = client.get(grid_path(long_grid) + "?page=99").get_data(as_text=True)
    assert "page 3 sur 3" in beyond  # a page past the end shows the last one


def test_the_pages_follow_the_grid_order_that_the_excel_file_follows(app, client_as, long_grid):
    client = client_as("agent_a")
    shown = [int(i) for n in (1, 2, 3) for i in quantity_fields(client.get(f"{grid_path(long_grid)}?page={n}").text)]
    with app.app_context():
        from groupement.campaigns.models import Campaign

        campaign = db.session.get(Campaign, long_grid.ids["campaign"])
        expected = [row.id for row in campaign_items(campaign.id, families_of(campaign, long_grid.ids["commune_a"]))]
    assert shown == expected


def test_every_page_shows_the_totals_of_the_whole_submission(client_as, long_grid):
    client = client_as("agent_a")
    last = client.get(grid_path(long_grid) + "?page=3").get_data(as_text=True)
    far_item = quantity_fields(last)[-1]
    version = re.search(rf'name="v-{far_item}" value="(\d+)"', last).group(1)
    response = client.post(
        grid_path(long_grid) + "?page=3",
        data={"csrf_token": csrf_token_of(last), f"q-{far_item}": "3", f"v-{far_item}": version, f"oq-{far_item}": ""},
    )
    assert response.status_code == 302 and "page=3" in response.location
    first = client.get(grid_path(long_grid)).get_data(as_text=True)
    # the world's 3 laptops at 849,00 € and, on page 3, 3 mice at 4,215 € (12,645 → 12,65 €)
    assert "2\u202f559,65\xa0€" in first and f'name="q-{far_item}"' not in first
    assert 'data-rest-total="126500"' in first  # the 12,65 € outside page 1, in ten-thousandths


def test_the_search_finds_items_on_every_page_accents_ignored(client_as, long_grid):
    page = client_as("agent_a").get(grid_path(long_grid) + "?q=ecran").get_data(as_text=True)
    assert len(quantity_fields(page)) == EXTRA // 50
    assert f"Articles 1 à {EXTRA // 50} sur {EXTRA // 50}" in page
    assert 'data-paged="true"' in page  # the script leaves the search to the server
    nothing = client_as("agent_a").get(grid_path(long_grid) + "?q=zzzz").get_data(as_text=True)
    assert "Aucun article ne correspond" in nothing


def test_save_and_next_page_goes_on_to_the_next_page(client_as, long_grid):
    client = client_as("agent_a")
    page = client.get(grid_path(long_grid)).get_data(as_text=True)
    assert "Enregistrer et page suivante" in page
    response = client.post(grid_path(long_grid), data={"csrf_token": csrf_token_of(page), "suivante": "1"})
    assert response.status_code == 302 and "page=2" in response.location
    second = client.get(response.location).get_data(as_text=True)
    assert f"Articles {GRID_PAGE_SIZE + 1} à {2 * GRID_PAGE_SIZE}" in second


def test_a_grid_page_costs_the_same_few_queries_whatever_the_catalog(app, client_as, long_grid):
    """The login's user, the campaign, the membership, its families, the submission, the page
    (lines, editors and last year's quantities joined) and the totals: 7, on a long grid as on
    a short one, filtered or not."""
    client = client_as("agent_a")
    client.get(grid_path(long_grid))  # templates compiled, session settled
    with app.app_context():
        engine = db.engine
    answers = []
    limits = {"": 7, "?page=2": 7, "?q=ecran&famille=informatique": 7, "?page=99": 9}  # past the end: COUNT, last page
    for query, limit in limits.items():
        sent = count_queries(engine, lambda q=query: answers.append(client.get(grid_path(long_grid) + q)))
        assert sent <= limit, (query, sent)
    assert [answer.status_code for answer in answers] == [200] * len(limits)


def test_the_count_of_a_commune_of_some_families_leaves_the_others_out(app, client_as, long_grid):
    """A commune joining every family counts the campaign's items without the family filter
    (grid_page._every_family); one joining fewer counts its families' items only, on the page as
    in the page past the end that asks the COUNT again."""
    from groupement.organisations.models import Membership

    def counted(query: str = "") -> int:
        page = client_as("agent_a").get(grid_path(long_grid) + query).get_data(as_text=True)
        return int(re.search(r"sur (\d+)", page.replace("\u202f", "")).group(1))

    with app.app_context():
        paper = [factories.item(ref=f"PAP-{n}", family=Family.FOURNITURES, account="6064") for n in range(3)]
        ids = [item.id for item in paper]
        campaign = long_grid.ids["campaign"]
        db.session.execute(insert(CampaignItem), [{"campaign_id": campaign, "item_id": item} for item in ids])
        db.session.commit()
    assert counted() == EXTRA + 1 + 3
    with app.app_context():
        db.session.execute(
            update(Membership)
            .where(Membership.commune_id == long_grid.ids["commune_a"])
            .values(families=frozenset({Family.INFORMATIQUE}))
        )
        db.session.commit()
    assert counted() == EXTRA + 1 == counted("?page=99")


def test_a_one_page_grid_keeps_its_live_search(client_as, world):
    page = client_as("agent_a").get(grid_path(world)).get_data(as_text=True)
    assert 'data-paged="false"' in page and "Page suivante" not in page


def test_another_communes_grid_page_is_not_found(client_as, long_grid):
    assert client_as("other_agent").get(grid_path(long_grid) + "?page=2").status_code in (403, 404)


RANDOM_LINES = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=1_000_000),
        st.decimals(min_value=0, max_value=Decimal("99999.9999"), places=4),
        st.sampled_from([Family.INFORMATIQUE, Family.FOURNITURES, Family.VEHICULES]),
    ),
    min_size=1,
    max_size=40,
)


@pytest.mark.parametrize(
    "shown",
    [[Family.INFORMATIQUE, Family.FOURNITURES], list(Family)],  # a family left out is not summed; or none is
    ids=["some-families", "every-family"],
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=RANDOM_LINES)
def test_the_sql_family_totals_are_the_estimate_rule_line_by_line(app, long_grid, lines, shown):
    """The grid's totals are summed by the database (core/money_sql.line_cents); they must be
    the Python rule's, each line to the cent, on random quantities and four-decimal prices."""
    with app.app_context():
        submission = db.session.get(Submission, long_grid.ids["submission_a"])
        items = db.session.scalars(
            select(CatalogItem.id).where(CatalogItem.ref.like("LONG-%")).order_by(CatalogItem.id).limit(len(lines))
        ).all()
        db.session.execute(delete(NeedLine).where(NeedLine.submission_id == submission.id))
        for item_id, (_, price, family) in zip(items, lines, strict=True):
            db.session.execute(
                update(CatalogItem).where(CatalogItem.id == item_id).values(unit_price_ht=price, family=family)
            )
        db.session.execute(
            insert(NeedLine),
            [
                {"submission_id": submission.id, "item_id": item_id, "quantity": quantity, "comment": "", "version": 1}
                for item_id, (quantity, _, _) in zip(items, lines, strict=True)
            ],
        )
        db.session.flush()
        totals = family_totals(submission, shown)
        db.session.rollback()
    expected = {
        family: estimated_amount((quantity, price) for quantity, price, kind in lines if kind is family)
        for family in shown
    }
    assert totals == expected


def test_each_history_link_is_the_one_url_for_gives_for_its_line(app, client_as, world):
    page = client_as("agent_a").get(grid_path(world)).get_data(as_text=True)
    links = re.findall(r'href="([^"]*historique/(\d+))"', page)
    assert links, "la grille du monde de test a des lignes enregistrées, donc des historiques"
    with app.test_request_context():
        for href, item_id in links:
            assert href == url_for("needs.history", campaign_id=world.ids["campaign"], item_id=int(item_id))
