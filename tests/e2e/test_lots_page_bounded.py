"""The lots page stays small at any campaign size: lots, lines and annexes a page at a time, with
their counts and filters, totals summed in SQL to the cent, the selections valid for the page shown."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import literal, select

from groupement.campaigns.models import Campaign
from groupement.core.access import system_actor
from groupement.core.money import from_cents, line_amount
from groupement.core.money_sql import line_cents
from groupement.extensions import db
from groupement.lots import page as lots_page
from groupement.lots.edits import exclude_line
from groupement.lots.models import Lot, LotLine
from groupement.lots.queries import overview_of


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("quantity", "price"),
    [
        (1, "0.0050"),
        (3, "0.0050"),
        (7, "1.0049"),
        (1, "0.0149"),
        (200, "4999.9999"),
        (1_000_000, "0.3333"),
        (0, "12.5"),
    ],
)
def test_the_sql_line_amount_is_the_cent_that_money_rounds_half_up(app, database, quantity, price):
    with app.app_context():
        cents = db.session.execute(select(line_cents(literal(quantity), literal(Decimal(price))))).scalar_one()
    assert from_cents(cents) == line_amount(quantity, Decimal(price))


def test_the_lots_sql_totals_are_those_of_the_lines_added_one_by_one(app, world):
    with app.app_context():
        campaign = db.session.get(Campaign, world.ids["lots_campaign"])
        summaries, _ = lots_page.lot_summaries(campaign)
        overview = overview_of(campaign)
    assert [s.amounts for s in summaries] == [view.amounts for view in overview.lots]
    assert [s.counted for s in summaries] == [len(view.counted_lines) for view in overview.lots]
    assert sum(s.amounts.yearly_estimate for s in summaries) == overview.total_yearly == Decimal("10527.00")


def test_the_lines_are_shown_a_page_at_a_time_and_the_pager_keeps_the_filters(client_as, world, monkeypatch):
    monkeypatch.setattr(lots_page, "LINES_PER_PAGE", 2)
    client = client_as("coordinator")
    index = f"/campagnes/{world.ids['lots_campaign']}/lots"

    first = text(client.get(index))
    assert first.count('name="line_ids"') == 2
    assert "1–2 sur 4 lignes" in first and "Page 1 sur 2" in first
    assert f'href="{index}?page_lignes=2#deplacer" rel="next"' in first
    assert "la sélection vaut pour la page affichée" in first
    # The totals are the campaign's, whatever page of lines is shown.
    assert "10 527,00 €" in first.replace("\u202f", " ").replace("\xa0", " ")

    second = text(client.get(f"{index}?page_lignes=2"))
    assert second.count('name="line_ids"') == 2 and "3–4 sur 4 lignes" in second
    assert "FOU-PAPIER" in second and "FOU-PAPIER" not in first

    one_lot = text(client.get(f"{index}?lot={world.ids['lot']}"))
    assert "1–2 sur 2 lignes" in one_lot and "INF-IMPR" not in one_lot.split('id="deplacer"')[1].split("</table>")[0]

    searched = text(client.get(f"{index}?recherche=ramette"))
    assert "1–1 sur 1 ligne</span>" in searched and "FOU-PAPIER" in searched
    assert "Aucune ligne ne correspond" in text(client.get(f"{index}?recherche=%25introuvable"))


def test_the_lots_are_filtered_and_paged_and_the_publication_selection_is_the_page_s(client_as, world, monkeypatch):
    monkeypatch.setattr(lots_page, "LOTS_PER_PAGE", 2)
    client = client_as("coordinator")
    index = f"/campagnes/{world.ids['lots_campaign']}/lots"

    first = text(client.get(index))
    assert "1–2 sur 3 lots" in first
    assert first.count('name="lot_ids"') == 2
    assert "La sélection vaut pour les lots de cette page" in first
    assert "Total de la campagne (3 lots, toutes les pages)" in first
    second = text(client.get(f"{index}?page=2"))
    assert second.count('name="lot_ids"') == 1 and "Papier et enveloppes" in second

    supplies = text(client.get(f"{index}?famille=fournitures"))
    assert "1–1 sur 1 lot</span>" in supplies
    assert '<span class="tile-figure">3</span> en préparation' in supplies  # the counts are the campaign's
    assert "Aucun lot ne correspond à ces critères." in text(client.get(f"{index}?statut=published"))


def test_the_annexes_are_paged_by_commune_name(client_as, world, monkeypatch):
    monkeypatch.setattr(lots_page, "ANNEXES_PER_PAGE", 1)
    client = client_as("coordinator")
    index = f"/campagnes/{world.ids['lots_campaign']}/lots"
    first, second = text(client.get(index)), text(client.get(f"{index}?page_annexes=2"))
    assert "Annexe de Commune A" in first and "Annexe de Commune B" not in first
    assert "Annexe de Commune B" in second and "1–1 sur 2 communes" in first
    assert f'href="{index}?page_annexes=2#annexes" rel="next"' in first


def test_odd_page_arguments_give_a_page_or_a_404_never_an_error(client_as, world):
    client = client_as("coordinator")
    index = f"/campagnes/{world.ids['lots_campaign']}/lots"
    for query in (
        "page=abc",
        "page_lignes=-3",
        "page_annexes=99999999999",
        "statut=inconnu",
        "famille=x",
        "lot=999999",
    ):
        assert client.get(f"{index}?{query}").status_code == 200, query
    assert "Aucune ligne ne correspond" in text(client.get(f"{index}?lot=999999"))
    assert client.get(f"{index}?lot=abc").status_code == 404
    # Another coordinator's campaign stays out of sight, whatever the arguments.
    assert client_as("other_coordinator").get(f"{index}?page_lignes=2").status_code == 404


def test_a_lot_s_page_shows_its_lines_and_communes_a_page_at_a_time_with_sql_amounts(
    client_as, world, app, monkeypatch
):
    from groupement.core.access import system_actor
    from groupement.lots import lot_page
    from groupement.lots.models import Lot
    from groupement.lots.queries import lot_detail

    with app.app_context():
        expected = lot_detail(system_actor(world.ids["capi"]), world.ids["lot"]).communes
        assert lot_page.commune_shares(db.session.get(Lot, world.ids["lot"])) == expected
    monkeypatch.setattr(lot_page, "LINES_PER_PAGE", 1)
    monkeypatch.setattr(lot_page, "COMMUNES_PER_PAGE", 1)
    monkeypatch.setattr(lot_page, "SHARES_LISTED", 1)
    client = client_as("coordinator")
    path = f"/lots/{world.ids['lot']}"

    first = text(client.get(path))
    assert "1–1 sur 2 lignes" in first and f'href="{path}?page_lignes=2#lignes" rel="next"' in first
    assert "1–1 sur 2 communes" in first and f'href="{path}?page_communes=2#communes" rel="next"' in first
    assert "Total des lignes retenues (toutes les pages)" in first
    second = text(client.get(f"{path}?page_lignes=2&page_communes=2"))
    assert "2–2 sur 2 lignes" in second and "2–2 sur 2 communes" in second
    assert expected[1].name in second.split('id="communes"')[1].split("</table>")[0]
    # A line shared by two communes names one (SHARES_LISTED) and counts the other.
    assert "et 1 autre (toutes dans le récapitulatif et les annexes par commune)" in first + second
    assert client_as("other_coordinator").get(f"{path}?page_lignes=2").status_code == 404


@pytest.mark.parametrize("per_page", [1, 2, 3, 100])
def test_a_page_of_lines_sought_by_the_lots_counts_is_the_page_of_the_whole_ordered_select(
    app, world, monkeypatch, per_page
):
    """Without a search the page's lots come from lot_summaries' counts (no COUNT, a sort of their
    lines only): the same rows and total as LIMIT/OFFSET over every line, an excluded one included."""
    monkeypatch.setattr(lots_page, "LINES_PER_PAGE", per_page)
    with app.app_context():
        campaign = db.session.get(Campaign, world.ids["lots_campaign"])
        first = db.session.scalar(select(LotLine).where(LotLine.campaign_id == campaign.id).order_by(LotLine.id))
        exclude_line(system_actor(world.ids["capi"]), first.id, "Hors marché")
        summaries, _ = lots_page.lot_summaries(campaign)
        whole = (
            select(*lots_page.LINE_COLUMNS)
            .join(Lot, Lot.id == LotLine.lot_id)
            .where(LotLine.campaign_id == campaign.id)
            .order_by(Lot.number, LotLine.position, LotLine.id)
        )
        for lot_id in [None, *(s.lot.id for s in summaries), 2_000_000]:
            statement = whole if lot_id is None else whole.where(LotLine.lot_id == lot_id)
            every = lots_page.line_rows(db.session.execute(statement))
            for page in range(1, len(every) // per_page + 3):  # and a page past the end
                shown = lots_page.lines_of(campaign, lot_id, "", page, summaries)
                assert shown.items == every[(page - 1) * per_page : page * per_page] and shown.total == len(every)
        assert any(row.excluded_reason == "Hors marché" for row in lots_page.line_rows(db.session.execute(whole)))
        db.session.rollback()
