from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from groupement.campaigns.board import campaign_board, campaign_overview
from groupement.campaigns.board_file import board_xlsx
from groupement.campaigns.rules import CampaignStatus, SubmissionStatus
from groupement.core.access import Role
from groupement.core.errors import Forbidden, NotFound
from groupement.core.timeutil import to_paris
from groupement.organisations.families import Family
from tests.queries import count_queries

INF, FOU = Family.INFORMATIQUE, Family.FOURNITURES


@pytest.fixture
def setup(make, database):
    """Four participating communes, one in each state, and one member joined only for a
    family the campaign does not include."""
    capi = make.coordinator()
    group = make.groupement(capi)
    bourgoin = make.organisation(name="Bourgoin-Jallieu")
    echirolles = make.organisation(name="Échirolles")
    cremieu = make.organisation(name="Crémieu")
    dolomieu = make.organisation(name="Dolomieu")
    vaulx = make.organisation(name="Vaulx-Milieu")
    make.membership(group, bourgoin)
    make.membership(group, echirolles, families=frozenset({FOU}))
    make.membership(group, cremieu)
    make.membership(group, dolomieu, families=frozenset({INF, FOU}))
    make.membership(group, vaulx, families=frozenset({Family.VEHICULES}))
    laptop = make.item(unit_price_ht=Decimal("849.00"))
    mouse = make.item(unit_price_ht=Decimal("0.3333"))
    paper = make.item(ref="FOU-PAP", family=FOU, cpv_code="30197630-1", unit_price_ht=Decimal("4.2050"))
    campaign = make.campaign(group, [laptop, mouse, paper], title="Recensement 2027")
    agent_dolomieu = make.user(Role.AGENT, dolomieu, name="Agnès Dolomieu")
    make.submission(campaign, bourgoin, {laptop: 3, mouse: 7, paper: 10}, SubmissionStatus.VALIDATED)
    # Échirolles left the informatique family after typing a laptop: that line no longer counts.
    make.submission(campaign, echirolles, {laptop: 5, paper: 1})
    make.submission(campaign, dolomieu, {mouse: 1, paper: 3}, SubmissionStatus.SUBMITTED, updated_by=agent_dolomieu)
    users = {
        "coordinator": make.user(Role.COORDINATOR, capi),
        "accountant": make.user(Role.ACCOUNTANT, capi),
        "agent_bourgoin": make.user(Role.AGENT, bourgoin),
        "agent_vaulx": make.user(Role.AGENT, vaulx),
    }
    database.session.commit()
    return {
        "campaign": campaign,
        "group": group,
        "items": (laptop, mouse, paper),
        **{k: u.actor for k, u in users.items()},
    }


def by_name(board):
    return {row.commune_name: row for row in board.rows}


def test_the_board_lists_every_participating_commune_by_name_with_its_status(setup):
    board = campaign_board(setup["coordinator"], setup["campaign"].id)

    assert [(row.commune_name, row.status_label) for row in board.rows] == [
        ("Bourgoin-Jallieu", "validée"),
        ("Crémieu", "non commencée"),
        ("Dolomieu", "soumise"),
        ("Échirolles", "brouillon"),
    ]
    assert board.status_counts() == [("non commencée", 1), ("brouillon", 1), ("soumise", 1), ("validée", 1)]
    assert board.families == [INF, FOU]


def test_the_board_shows_the_last_change_and_who_made_it(setup):
    rows = by_name(campaign_board(setup["coordinator"], setup["campaign"].id))

    assert rows["Dolomieu"].updated_by == "Agnès Dolomieu"
    assert isinstance(rows["Dolomieu"].updated_at, datetime)
    assert rows["Crémieu"].updated_at is None and rows["Crémieu"].updated_by is None


def test_estimated_amounts_are_exact_to_the_cent_per_commune_and_family(setup):
    rows = by_name(campaign_board(setup["coordinator"], setup["campaign"].id))

    # 3 × 849.00 + 7 × 0.3333 = 2 549.3331 -> 2 549.33 ; 10 × 4.2050 = 42.05
    assert rows["Bourgoin-Jallieu"].amounts == {INF: Decimal("2549.33"), FOU: Decimal("42.05")}
    assert rows["Bourgoin-Jallieu"].amount == Decimal("2591.38")
    # 1 × 0.3333 -> 0.33 ; 3 × 4.2050 = 12.615 -> 12.62 (half up)
    assert rows["Dolomieu"].amounts == {INF: Decimal("0.33"), FOU: Decimal("12.62")}
    assert rows["Crémieu"].amounts == {INF: Decimal("0.00"), FOU: Decimal("0.00")}
    assert all(isinstance(v, Decimal) for row in rows.values() for v in row.amounts.values())


def test_a_family_the_commune_did_not_join_is_left_out_of_its_amounts_and_of_the_totals(setup):
    board = campaign_board(setup["coordinator"], setup["campaign"].id)
    echirolles = by_name(board)["Échirolles"]

    assert echirolles.amounts == {FOU: Decimal("4.21")}  # 4.2050 -> 4.21; the laptop line is ignored
    assert board.totals == {INF: Decimal("2549.66"), FOU: Decimal("58.88")}
    assert board.total == Decimal("2608.54")


def test_a_member_joined_only_for_families_outside_the_campaign_does_not_take_part(setup):
    board = campaign_board(setup["coordinator"], setup["campaign"].id)

    assert "Vaulx-Milieu" not in by_name(board)


def test_the_chart_puts_the_largest_amount_first(setup):
    board = campaign_board(setup["coordinator"], setup["campaign"].id)

    assert board.chart_bars() == [
        ("Bourgoin-Jallieu", Decimal("2591.38")),
        ("Dolomieu", Decimal("12.95")),
        ("Échirolles", Decimal("4.21")),
        ("Crémieu", Decimal("0.00")),
    ]


def test_the_board_costs_the_same_number_of_queries_whatever_the_number_of_communes(setup, make, database):
    def queries_for_board() -> int:
        database.session.expire_all()
        return count_queries(database.engine, lambda: campaign_board(setup["coordinator"], setup["campaign"].id))

    before = queries_for_board()
    laptop, _, paper = setup["items"]
    for n in range(5):
        commune = make.organisation(name=f"Nouvelle {n}")
        make.membership(setup["group"], commune)
        make.submission(
            setup["campaign"], commune, {laptop: n + 1, paper: 2}, updated_by=make.user(Role.AGENT, commune)
        )
    database.session.commit()

    assert len(campaign_board(setup["coordinator"], setup["campaign"].id).rows) == 9
    assert queries_for_board() == before


def test_the_board_is_the_coordinators_alone(setup, make, database):
    other = make.user(Role.COORDINATOR, make.coordinator(name="Autre EPCI", siren="200066793", siret=None))
    database.session.commit()

    with pytest.raises(Forbidden):
        campaign_board(setup["agent_bourgoin"], setup["campaign"].id)
    with pytest.raises(NotFound):
        campaign_board(other.actor, setup["campaign"].id)
    assert campaign_board(setup["accountant"], setup["campaign"].id).total == Decimal("2608.54")


def test_reopening_is_offered_for_submitted_needs_during_the_campaign_and_for_everyone_after_it(setup, database):
    campaign = setup["campaign"]
    during = campaign_board(setup["coordinator"], campaign.id)
    assert [row.commune_name for row in during.rows if during.reopenable(row)] == ["Bourgoin-Jallieu", "Dolomieu"]

    after = campaign_board(setup["coordinator"], campaign.id, now=campaign.closes_at + timedelta(minutes=1))
    assert after.status is CampaignStatus.CLOSED
    assert all(after.reopenable(row) for row in after.rows)


def test_the_excel_export_has_one_line_per_commune_and_a_total_line(setup):
    board = campaign_board(setup["coordinator"], setup["campaign"].id)
    sheet = load_workbook(io.BytesIO(board_xlsx(board))).active
    rows = list(sheet.iter_rows(values_only=True))

    assert rows[0] == (
        "Commune",
        "Code INSEE",
        "Statut",
        "Dernière modification",
        "Par",
        "Dernière relance",
        "Relancée par",
        "Relance",
        "Montant estimé HT – Informatique",
        "Montant estimé HT – Fournitures de bureau",
        "Montant estimé HT – total",
    )
    lines = {row[0]: row for row in rows[1:]}
    assert list(lines) == ["Bourgoin-Jallieu", "Crémieu", "Dolomieu", "Échirolles", "Total"]
    assert lines["Bourgoin-Jallieu"][2] == "validée"
    assert lines["Bourgoin-Jallieu"][8:] == (2549.33, 42.05, 2591.38)
    assert lines["Crémieu"][2:9] == ("non commencée", None, None, None, None, None, 0)  # never reminded
    assert lines["Échirolles"][8:] == (None, 4.21, 4.21)  # not joined: empty, not zero
    dolomieu = by_name(board)["Dolomieu"]
    assert lines["Dolomieu"][3] == to_paris(dolomieu.updated_at).replace(tzinfo=None, microsecond=0)
    assert lines["Dolomieu"][4] == "Agnès Dolomieu"
    assert lines["Total"][8:] == (2549.66, 58.88, 2608.54)
    assert sheet["I2"].number_format.endswith('"€"')


def test_the_coordinator_lists_its_campaigns_with_validated_and_participating_counts(setup, make, database):
    laptop, _, _ = setup["items"]
    draft = make.campaign(setup["group"], [laptop], title="Brouillon 2028", year=2028, status=CampaignStatus.DRAFT)
    past = make.campaign(
        setup["group"],
        [laptop],
        title="Recensement 2026",
        year=2026,
        opens_at=datetime(2025, 9, 1),
        closes_at=datetime(2025, 10, 1),
    )
    database.session.commit()

    overview = campaign_overview(setup["coordinator"])

    current = {s.campaign.title: s for s in overview.current}
    assert set(current) == {"Recensement 2027", "Brouillon 2028"}
    assert (current["Recensement 2027"].validated, current["Recensement 2027"].participants) == (1, 4)
    # Only informatique in these: Échirolles (fournitures only) does not take part.
    assert (current["Brouillon 2028"].status, current["Brouillon 2028"].participants) == (CampaignStatus.DRAFT, 3)
    assert [(s.campaign.id, s.status) for s in overview.past] == [(past.id, CampaignStatus.CLOSED)]
    assert draft.id in {s.campaign.id for s in overview.current}


def test_a_commune_lists_the_campaigns_it_takes_part_in_with_its_own_status(setup, make, database):
    laptop, _, _ = setup["items"]
    make.campaign(setup["group"], [laptop], title="Brouillon 2028", year=2028, status=CampaignStatus.DRAFT)
    database.session.commit()

    bourgoin = campaign_overview(setup["agent_bourgoin"])
    assert [(s.campaign.title, s.own_status_label) for s in bourgoin.current] == [("Recensement 2027", "validée")]
    assert bourgoin.past == []
    vaulx = campaign_overview(setup["agent_vaulx"])  # member, but for vehicles only
    assert vaulx.current == [] and vaulx.past == []
