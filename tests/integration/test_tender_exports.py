import io
import zipfile
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from groupement.campaigns.rules import SubmissionStatus
from groupement.core.access import Role
from groupement.core.errors import Forbidden, ServiceError
from groupement.core.timeutil import utcnow
from groupement.lots.campaign_aggregation import aggregate_campaign
from groupement.lots.edits import exclude_line
from groupement.lots.models import Lot
from groupement.organisations.families import Family
from groupement.tenders.exports import campaign_file, commune_annex, lot_file


@pytest.fixture
def aggregated(make, database):
    capi = make.coordinator()
    group = make.groupement(capi)
    a, b = make.organisation(name="Bourgoin-Jallieu"), make.organisation(name="Éclose-Badinières")
    make.membership(group, a)
    make.membership(group, b)
    laptop = make.item(ref="INF-PORT", designation="=Portable piégé", unit_price_ht=Decimal("849.00"))
    paper = make.item(
        ref="FOU-PAP",
        family=Family.FOURNITURES,
        cpv_code="30197630-1",
        unit_price_ht=Decimal("4.2"),
        eco_participation=Decimal("0"),
        account="6064",
    )
    now = utcnow()
    campaign = make.campaign(
        group, [laptop, paper], opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=1)
    )
    make.submission(campaign, a, {laptop: 10, paper: 300}, status=SubmissionStatus.VALIDATED)
    make.submission(campaign, b, {laptop: 2}, status=SubmissionStatus.VALIDATED)
    coordinator = make.user(Role.COORDINATOR, capi).actor
    database.session.commit()
    aggregate_campaign(coordinator, campaign.id)
    lots = database.session.scalars(select(Lot).order_by(Lot.number)).all()
    return {
        "campaign": campaign,
        "coordinator": coordinator,
        "lots": lots,
        "a": a,
        "agent": make.user(Role.AGENT, a).actor,
    }


def cells(content: bytes) -> list[list]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [[c for c in row] for sheet in workbook for row in sheet.iter_rows(values_only=True)]


def test_the_dqe_of_a_lot_carries_its_lines_quantities_and_stable_ids_with_escaped_text(aggregated):
    content, name = lot_file(aggregated["coordinator"], aggregated["lots"][0].id, "dqe")
    assert name == "DQE-lot-01-postes-de-travail-ecrans-et-accessoires.xlsx"
    values = [v for row in cells(content) for v in row if v is not None]
    assert "'=Portable piégé" in values and "=Portable piégé" not in values
    assert 12 in values and f"C{aggregated['campaign'].id}-I" in "".join(str(v) for v in values)
    assert "849" not in "".join(str(v) for v in values)  # the buyer's estimate is not in the bidders' file
    calamine = CalamineWorkbook.from_filelike(io.BytesIO(content))
    assert calamine.sheet_names and calamine.get_sheet_by_index(0).to_python()


def test_the_recap_and_annex_trace_each_commune_quantity(aggregated):
    recap, _ = lot_file(aggregated["coordinator"], aggregated["lots"][0].id, "recap")
    flat = [v for row in cells(recap) for v in row]
    headers = " ".join(str(v) for v in flat if isinstance(v, str))
    assert "Bourgoin-Jallieu (" in headers and "Éclose-Badinières (" in headers and 10 in flat and 2 in flat
    annex, name = commune_annex(aggregated["coordinator"], aggregated["campaign"].id, aggregated["a"].id)
    assert name == "annexe-bourgoin-jallieu.xlsx"
    flat = [v for row in cells(annex) for v in row]
    assert 300 in flat and 10 in flat and 2 not in flat


def test_the_zip_holds_every_file_of_the_tender(aggregated):
    content, name = campaign_file(aggregated["coordinator"], aggregated["campaign"].id, "zip")
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert name.startswith("dossier-") and name.endswith(".zip")
    assert "00-tous-les-lots.xlsx" in names
    assert sum(n.endswith("/DQE.xlsx") for n in names) == 2 and sum(n.endswith("/BPU.xlsx") for n in names) == 2
    assert sorted(n for n in names if n.startswith("annexes-communes/")) == [
        "annexes-communes/annexe-bourgoin-jallieu.xlsx",
        "annexes-communes/annexe-eclose-badinieres.xlsx",
    ]


def test_commune_users_cannot_export_and_a_lot_without_lines_has_no_file(aggregated):
    with pytest.raises(Forbidden):
        lot_file(aggregated["agent"], aggregated["lots"][0].id, "dqe")
    paper_lot = aggregated["lots"][1]
    exclude_line(aggregated["coordinator"], paper_lot.lines[0].id, "Marché UGAP")
    with pytest.raises(ServiceError, match="aucune ligne retenue"):
        lot_file(aggregated["coordinator"], paper_lot.id, "bpu")
    names = zipfile.ZipFile(
        io.BytesIO(campaign_file(aggregated["coordinator"], aggregated["campaign"].id, "zip")[0])
    ).namelist()
    assert sum(n.endswith("/DQE.xlsx") for n in names) == 1


def test_cli_aggregates_and_exports_the_tender_files(app, make, database, tmp_path):
    capi = make.coordinator()
    group = make.groupement(capi)
    commune = make.organisation(name="Four")
    make.membership(group, commune)
    laptop = make.item()
    now = utcnow()
    campaign = make.campaign(group, [laptop], opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=1))
    make.submission(campaign, commune, {laptop: 4}, status=SubmissionStatus.VALIDATED)
    database.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["campaign", "aggregate", str(campaign.id)])
    assert result.exit_code == 0, result.output
    assert "1 lot(s), 1 ligne(s), 1 commune(s)" in result.output
    again = runner.invoke(args=["campaign", "aggregate", "999999"])
    assert again.exit_code == 1 and "Campagne introuvable" in again.output
    result = runner.invoke(args=["campaign", "export", str(campaign.id), "--out", str(tmp_path / "pieces")])
    assert result.exit_code == 0, result.output
    paths = result.output.split()
    assert any(p.endswith("DQE.xlsx") for p in paths) and paths[-1].endswith(".zip")
    assert all((tmp_path / "pieces").joinpath(p).exists() for p in paths)
