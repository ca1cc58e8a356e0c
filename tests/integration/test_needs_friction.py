"""The needs journey without friction, on a real database (SQLite, and PostgreSQL with
DATABASE_URL): accent-insensitive search, the Excel file in the grid's order, the summary the
signatory validates (last campaign compared), the import's effect in euros and what became of
a finished import."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from groupement.campaigns.grid import needs_grid
from groupement.campaigns.needs_sheet import SHEET_TITLE
from groupement.campaigns.needs_upload import (
    cancel_upload,
    confirm_upload,
    export_needs,
    finished_upload,
    pending_preview,
    preview_effect,
    preview_upload,
)
from groupement.campaigns.rules import CampaignStatus, SubmissionStatus
from groupement.campaigns.summary import needs_summary
from groupement.catalog.items import catalog_rows
from groupement.catalog.rules import search_key
from groupement.core.access import Role
from groupement.core.timeutil import utcnow
from groupement.organisations.families import Family


@pytest.fixture
def commune(database, make):
    """A commune of a groupement with last year's validated needs and this year's draft.

    Items (this campaign): INF-ECR-24 « Écran 24 pouces » 139,00 €, INF-ECR-27 « Écran 27 pouces »
    259,00 €, FOU-AGR « Agrafeuse » 12,50 €, FOU-RAM « Ramette A4 » 4,20 €, INF-NEUF « Tablette
    (nouvelle) » 400,00 € (not in last year's campaign). Last year: INF-ECR-24 × 10, FOU-RAM × 100,
    FOU-AGR × 4. This year: INF-ECR-24 × 12, FOU-RAM × 80, INF-NEUF × 1, FOU-AGR × 0.
    """
    capi = make.coordinator()
    town = make.organisation(name="Éclose-Badinières")
    group = make.groupement(capi)
    make.membership(group, town)
    items = {
        "ecr24": make.item(ref="INF-ECR-24", designation="Écran 24 pouces", unit_price_ht=Decimal("139.00")),
        "ecr27": make.item(ref="INF-ECR-27", designation="ÉCRAN 27 pouces", unit_price_ht=Decimal("259.00")),
        "agr": make.item(
            ref="FOU-AGR", designation="Agrafeuse", family=Family.FOURNITURES, unit_price_ht=Decimal("12.50")
        ),
        "ram": make.item(
            ref="FOU-RAM", designation="Ramette A4", family=Family.FOURNITURES, unit_price_ht=Decimal("4.20")
        ),
        "new": make.item(ref="INF-NEUF", designation="Tablette (nouvelle)", unit_price_ht=Decimal("400.00")),
    }
    now = utcnow()
    last_year = make.campaign(
        group,
        [items["ecr24"], items["ecr27"], items["agr"], items["ram"]],
        title="Recensement 2026",
        year=2026,
        opens_at=now - timedelta(days=400),
        closes_at=now - timedelta(days=330),
        status=CampaignStatus.CLOSED,
    )
    make.submission(
        last_year, town, {items["ecr24"]: 10, items["ram"]: 100, items["agr"]: 4}, status=SubmissionStatus.VALIDATED
    )
    campaign = make.campaign(group, list(items.values()), title="Recensement 2027", year=2027)
    agent = make.user(Role.AGENT, town, name="Inès Agent")
    make.submission(campaign, town, {items["ecr24"]: 12, items["ram"]: 80, items["new"]: 1}, updated_by=agent)
    database.session.commit()
    return campaign, items, agent, make.user(Role.SIGNATORY, town)


def test_the_search_key_drops_accents_and_case():
    assert search_key("Écran 24 pouces", "INF-ECR-24") == "ecran 24 pouces inf-ecr-24"
    assert search_key("  Agrafeuse   à  pince ") == "agrafeuse a pince"


def test_the_catalog_search_finds_ecran_with_or_without_accents_on_this_database(commune):
    found = {query: {item.ref for item in catalog_rows(query)} for query in ("ecran", "écran", "ÉCRAN", "Ecran 24")}
    assert found["ecran"] == found["écran"] == found["ÉCRAN"] == {"INF-ECR-24", "INF-ECR-27"}
    assert found["Ecran 24"] == {"INF-ECR-24"}


def test_a_percent_in_the_catalog_search_is_a_character_not_a_wildcard(commune):
    assert catalog_rows("%") == []
    assert catalog_rows("_") == []


def test_a_renamed_item_gets_its_new_search_key(database, commune):
    _, items, _, _ = commune
    items["agr"].designation = "Agrafeuse électrique"
    database.session.flush()
    assert [item.ref for item in catalog_rows("electrique")] == ["FOU-AGR"]


def test_the_grid_search_ignores_accents_and_case(commune):
    campaign, items, agent, _ = commune
    grid = needs_grid(agent.actor, campaign.id)
    assert grid.matching("ecran") == grid.matching("Écran") == {items["ecr24"].id, items["ecr27"].id}
    assert grid.matching("ecran 27") == {items["ecr27"].id}


def test_the_excel_file_lists_the_items_in_the_grids_order(commune):
    campaign, _, agent, _ = commune
    grid = needs_grid(agent.actor, campaign.id)
    grid_order = [line.item.ref for _, lines in grid.by_family() for line in lines]
    content, _ = export_needs(agent.actor, campaign.id)
    sheet = load_workbook(io.BytesIO(content))[SHEET_TITLE]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(index for index, row in enumerate(rows) if row[0] == "Référence")
    file_order = [row[0] for row in rows[header + 1 :] if row[0]]
    # Informatique before Fournitures (the grid's families), refs sorted inside each family.
    assert grid_order == ["INF-ECR-24", "INF-ECR-27", "INF-NEUF", "FOU-AGR", "FOU-RAM"]
    assert file_order == grid_order


def test_the_summary_lists_the_non_zero_lines_with_totals_per_family_and_last_year(commune):
    campaign, items, agent, _ = commune
    summary = needs_summary(agent.actor, campaign.id)
    assert summary.previous.title == "Recensement 2026"
    assert summary.item_count == 5 and summary.line_count == 3
    listed = {line.item.ref: line for family in summary.families for line in family.lines}
    # INF-ECR-27 is zero both years: left out; FOU-AGR is zero now but was 4 last year: kept.
    assert set(listed) == {"INF-ECR-24", "INF-NEUF", "FOU-AGR", "FOU-RAM"}
    assert summary.zero_count == 1
    screen = listed["INF-ECR-24"]
    assert (screen.quantity, screen.previous_quantity, screen.quantity_difference) == (12, 10, 2)
    assert (screen.amount, screen.previous_amount, screen.amount_difference) == (
        Decimal("1668.00"),
        Decimal("1390.00"),
        Decimal("278.00"),
    )
    assert listed["INF-NEUF"].new_item and listed["INF-NEUF"].previous_quantity == 0
    assert not listed["FOU-AGR"].new_item
    it, supplies = summary.families
    assert it.family is Family.INFORMATIQUE and supplies.family is Family.FOURNITURES
    assert (it.amount, it.previous_amount, it.amount_difference) == (
        Decimal("2068.00"),
        Decimal("1390.00"),
        Decimal("678.00"),
    )
    # 80 × 4,20 = 336,00 now; 100 × 4,20 + 4 × 12,50 = 470,00 last year.
    assert (supplies.line_count, supplies.amount, supplies.previous_amount) == (1, Decimal("336.00"), Decimal("470.00"))
    assert (summary.amount, summary.previous_amount, summary.amount_difference) == (
        Decimal("2404.00"),
        Decimal("1860.00"),
        Decimal("544.00"),
    )
    assert summary.amount == needs_grid(agent.actor, campaign.id).total


def test_the_summary_without_a_previous_campaign_compares_nothing(database, make):
    capi = make.coordinator()
    town = make.organisation()
    group = make.groupement(capi)
    make.membership(group, town)
    item = make.item()
    campaign = make.campaign(group, [item])
    agent = make.user(Role.AGENT, town)
    make.submission(campaign, town, {item: 2})
    summary = needs_summary(agent.actor, campaign.id)
    assert summary.previous is None
    assert [line.new_item for family in summary.families for line in family.lines] == [True]
    assert summary.amount == Decimal("1698.00")


def _workbook_with(agent, campaign, quantities: dict[str, int]) -> bytes:
    content, _ = export_needs(agent.actor, campaign.id)
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook[SHEET_TITLE]
    header = next(row[0].row for row in sheet.iter_rows() if row[0].value == "Référence")
    titles = [cell.value for cell in sheet[header]]
    for row in range(header + 1, sheet.max_row + 1):
        ref = sheet.cell(row=row, column=1).value
        if ref in quantities:
            sheet.cell(row=row, column=titles.index("Quantité") + 1).value = quantities[ref]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_import_preview_gives_the_total_before_and_after_and_the_difference(commune):
    campaign, _, agent, _ = commune
    content = _workbook_with(agent, campaign, {"INF-ECR-24": 15, "FOU-AGR": 2})
    pending = preview_upload(agent.actor, campaign.id, "besoins.xlsx", content)
    _, _, lines = pending_preview(agent.actor, campaign.id, pending.id)
    effect = preview_effect(lines, pending)
    # Before: 12 × 139 + 80 × 4,20 + 1 × 400 = 2 404,00; after: +3 × 139 + 2 × 12,50 = +442,00.
    assert (effect.before, effect.after, effect.difference) == (
        Decimal("2404.00"),
        Decimal("2846.00"),
        Decimal("442.00"),
    )
    assert effect.lines["INF-ECR-24"] == (Decimal("1668.00"), Decimal("2085.00"))
    assert effect.lines["FOU-AGR"] == (Decimal("0.00"), Decimal("25.00"))
    assert effect.after == needs_grid(agent.actor, campaign.id).total + effect.difference


def test_a_confirmed_or_cancelled_upload_is_found_again_and_an_unknown_one_is_not(commune):
    campaign, _, agent, _ = commune
    first = preview_upload(agent.actor, campaign.id, "premier.xlsx", _workbook_with(agent, campaign, {"FOU-AGR": 3}))
    first_id = first.id
    confirm_upload(agent.actor, campaign.id, first_id)
    done = finished_upload(agent.actor, campaign.id, first_id)
    assert done.confirmed and done.file_name == "premier.xlsx" and done.lines == 1 and done.by == "Inès Agent"

    second = preview_upload(agent.actor, campaign.id, "second.xlsx", _workbook_with(agent, campaign, {"FOU-AGR": 9}))
    second_id = second.id
    cancel_upload(agent.actor, campaign.id, second_id)
    cancelled = finished_upload(agent.actor, campaign.id, second_id)
    assert not cancelled.confirmed and cancelled.file_name == "second.xlsx"
    assert finished_upload(agent.actor, campaign.id, 999_999) is None
