"""The DECP export on a real database: which contracts are due, what is published, what is listed
as incomplete, the scope of a coordinator, and the `groupement decp export` command."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft7Validator
from sqlalchemy import select

from groupement.campaigns.rules import SubmissionStatus
from groupement.contracts.decp import ContractProblem, decp_document, decp_report
from groupement.core.access import Role
from groupement.core.timeutil import utcnow
from groupement.lots.campaign_aggregation import aggregate_campaign
from groupement.lots.edits import publish_lot
from groupement.lots.models import Lot
from groupement.organisations.families import Family
from groupement.organisations.models import Organisation

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "data" / "decp" / "schema_decp_v2.0.3.json"
VALIDATOR = Draft7Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))
TODAY = date(2027, 3, 10)
NOTIFIED = date(2027, 2, 15)


def build_lots(make, database, coordinator_org=None):
    """A groupement whose campaign is aggregated into published lots: laptops, paper, vans."""
    capi = coordinator_org or make.coordinator()
    group = make.groupement(capi)
    commune = make.organisation()
    make.membership(group, commune)
    laptop = make.item(unit_price_ht=Decimal("849.00"))
    paper = make.item(
        family=Family.FOURNITURES,
        cpv_code="30197630-1",
        unit="ramette",
        unit_price_ht=Decimal("4.20"),
        eco_participation=Decimal("0"),
        account="6064",
    )
    van = make.item(
        ref=f"VEH-VU-{capi.id}",
        designation="Fourgonnette électrique",
        family=Family.VEHICULES,
        cpv_code="34144900-7",
        unit_price_ht=Decimal("32000.00"),
        eco_participation=Decimal("0"),
        account="2182",
    )
    now = utcnow()
    campaign = make.campaign(
        group, [laptop, paper, van], opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=1)
    )
    make.submission(campaign, commune, {laptop: 40, paper: 500, van: 2}, status=SubmissionStatus.VALIDATED)
    officer = make.user(Role.COORDINATOR, capi).actor
    database.session.commit()
    aggregate_campaign(officer, campaign.id)
    lots = database.session.scalars(select(Lot).where(Lot.campaign_id == campaign.id).order_by(Lot.number)).all()
    for lot in lots:
        publish_lot(officer, lot.id, today=date(2026, 11, 2))
    by_family = {lot.family: lot for lot in lots}
    return by_family, officer


def award(make, lot, **values):
    values.setdefault("notified_on", NOTIFIED)
    values.setdefault("maximum_amount", Decimal("100000"))  # above the threshold, whatever the lot's estimate
    return make.contract(make.offer(lot, make.supplier()), **values)


def entries(document) -> dict[str, dict]:
    return {entry["id"]: entry for entry in document["marches"]["marche"]}


def test_due_contracts_are_published_with_the_coordinator_as_buyer_and_validate(make, database):
    lots, officer = build_lots(make, database)
    laptops = award(make, lots[Family.INFORMATIQUE], number="2027-INF-01", maximum_amount=Decimal("120000"))
    vans = award(
        make,
        lots[Family.VEHICULES],
        number="2027-VEH-01",
        maximum_amount=Decimal("150000"),
        origin_eu_percent=Decimal("75"),
        origin_france_percent=Decimal("40"),
    )
    database.session.commit()

    document, problems = decp_document(TODAY, officer)

    assert problems == []
    assert list(VALIDATOR.iter_errors(document)) == []
    published = entries(document)
    assert set(published) == {"2027-INF-01", "2027-VEH-01"}
    assert published["2027-INF-01"]["acheteur"] == {"id": "24380060400346"}
    assert published["2027-INF-01"]["titulaires"][0]["titulaire"]["id"] == laptops.supplier.siret
    assert published["2027-INF-01"]["codeCPV"] == "30213100-6"
    assert published["2027-INF-01"]["montant"] == Decimal("120000.00")
    assert published["2027-INF-01"]["dureeMois"] == lots[Family.INFORMATIQUE].duration_months
    assert published["2027-INF-01"]["datePublicationDonnees"] == "2027-03-10"
    assert "origineUE" not in published["2027-INF-01"]
    assert published["2027-VEH-01"]["titulaires"][0]["titulaire"]["id"] == vans.supplier.siret
    assert (published["2027-VEH-01"]["origineUE"], published["2027-VEH-01"]["origineFrance"]) == (
        Decimal("0.7500"),
        Decimal("0.4000"),
    )


def test_a_contract_below_40_000_euros_is_not_published_and_40_000_is(make, database):
    lots, officer = build_lots(make, database)
    award(make, lots[Family.INFORMATIQUE], number="SOUS-SEUIL", maximum_amount=Decimal("39999.99"))
    award(make, lots[Family.FOURNITURES], number="AU-SEUIL", maximum_amount=Decimal("40000.00"))
    database.session.commit()

    document, problems = decp_document(TODAY, officer)

    assert set(entries(document)) == {"AU-SEUIL"}
    assert problems == []


def test_a_contract_not_yet_notified_is_not_published(make, database):
    lots, officer = build_lots(make, database)
    award(make, lots[Family.INFORMATIQUE], number="A-NOTIFIER", notified_on=TODAY + timedelta(days=1))
    database.session.commit()

    document, problems = decp_document(TODAY, officer)

    assert entries(document) == {} and problems == []


def test_contracts_missing_data_are_listed_with_what_is_missing_not_exported(make, database):
    capi = make.coordinator(siret=None)
    lots, officer = build_lots(make, database, capi)
    award(make, lots[Family.INFORMATIQUE], number="SANS-SIRET")
    lots[Family.FOURNITURES].social_considerations = "Insertion professionnelle"
    database.session.commit()
    award(make, lots[Family.FOURNITURES], number="CLAUSE-LIBRE")
    award(make, lots[Family.VEHICULES], number="SANS-ORIGINE", procedure="Appel d'offres ouvert")
    database.session.commit()

    document, problems = decp_document(TODAY, officer)

    assert entries(document) == {}
    by_number = {problem.contract_number: problem for problem in problems}
    assert set(by_number) == {"SANS-SIRET", "CLAUSE-LIBRE", "SANS-ORIGINE"}
    assert by_number["SANS-SIRET"] == ContractProblem(
        "SANS-SIRET",
        ["acheteur.id : SIRET du coordonnateur (acheteur) non renseigné"],
        f"{lots[Family.INFORMATIQUE].title} — {lots[Family.INFORMATIQUE].campaign.title}",
    )
    assert "considerationsSociales : « Insertion professionnelle » n'est pas une valeur de la liste DECP" in (
        by_number["CLAUSE-LIBRE"].missing
    )
    assert [m.split(" : ")[0] for m in by_number["SANS-ORIGINE"].missing] == [
        "acheteur.id",
        "origineUE",
        "origineFrance",
    ]


def test_a_coordinator_sees_only_the_contracts_of_the_groupements_it_coordinates(make, database):
    lots, capi_officer = build_lots(make, database)
    other_lots, other_officer = build_lots(
        make, database, make.coordinator(name="Vienne Condrieu", siren="200077014", siret="20007701400013")
    )
    award(make, lots[Family.INFORMATIQUE], number="CAPI-1")
    award(make, other_lots[Family.INFORMATIQUE], number="VCA-1")
    database.session.commit()

    assert set(entries(decp_document(TODAY, capi_officer)[0])) == {"CAPI-1"}
    assert set(entries(decp_document(TODAY, other_officer)[0])) == {"VCA-1"}


def test_the_page_and_the_file_of_a_coordinator_list_its_own_contracts_only(app, make, database, tmp_path):
    lots, capi_officer = build_lots(make, database)
    other_lots, other_officer = build_lots(
        make, database, make.coordinator(name="Vienne Condrieu", siren="200077014", siret="20007701400013")
    )
    award(make, lots[Family.INFORMATIQUE], number="CAPI-1")
    award(make, other_lots[Family.VEHICULES], number="VCA-INCOMPLET")  # origins missing
    database.session.commit()

    capi_report = decp_report(TODAY, capi_officer)
    assert [row.number for row in capi_report.exported] == ["CAPI-1"] and capi_report.problems == []
    other_report = decp_report(TODAY, other_officer)
    assert other_report.exported == [] and [p.contract_number for p in other_report.problems] == ["VCA-INCOMPLET"]

    runner = app.test_cli_runner()
    out = tmp_path / "decp.json"
    ambiguous = runner.invoke(args=["decp", "export", "--out", str(out), "--date", "2027-03-10"])
    assert ambiguous.exit_code == 1 and "précisez lequel avec --coordinateur" in ambiguous.stderr
    assert not out.exists()

    def export_for(officer) -> tuple[list[str], str]:
        siren = database.session.get(Organisation, officer.organisation_id).siren
        result = runner.invoke(
            args=["decp", "export", "--out", str(out), "--date", "2027-03-10", "--coordinateur", siren]
        )
        assert result.exit_code == 0, result.output
        written = json.loads(out.read_text(encoding="utf-8"))
        return [entry["id"] for entry in written["marches"]["marche"]], result.stderr

    exported, warnings = export_for(capi_officer)
    assert exported == ["CAPI-1"] and "VCA-INCOMPLET" not in warnings
    exported, warnings = export_for(other_officer)
    assert exported == [] and "VCA-INCOMPLET" in warnings


# --- the command ------------------------------------------------------------------------------


@pytest.fixture
def runner(app):
    return app.test_cli_runner()  # Click ≥ 8.2: result.stdout and result.stderr kept apart


def test_cli_export_writes_a_valid_file_and_lists_incomplete_contracts_on_stderr(app, make, database, runner, tmp_path):
    lots, _ = build_lots(make, database)
    award(make, lots[Family.INFORMATIQUE], number="2027-INF-01", maximum_amount=Decimal("120000"))
    award(make, lots[Family.VEHICULES], number="2027-VEH-01")  # origins missing
    award(make, lots[Family.FOURNITURES], number="PETIT", maximum_amount=Decimal("12000"))
    database.session.commit()
    out = tmp_path / "decp.json"

    result = runner.invoke(args=["decp", "export", "--out", str(out), "--date", "2027-03-10"])

    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text(encoding="utf-8"))
    assert list(VALIDATOR.iter_errors(written)) == []
    assert [entry["id"] for entry in written["marches"]["marche"]] == ["2027-INF-01"]
    assert '"montant": 120000.00' in out.read_text(encoding="utf-8")
    assert f"Données essentielles du 10/03/2027 écrites dans {out} : 1 marché(s)." in result.stdout
    assert "Attention : 1 marché(s) non exporté(s), données manquantes :" in result.stderr
    assert "2027-VEH-01" in result.stderr and "origineUE : part des produits d'origine UE" in result.stderr
    assert "PETIT" not in result.output
    assert [path.name for path in tmp_path.iterdir()] == ["decp.json"]  # no temporary file left


def test_cli_export_fails_with_exit_code_1_when_the_file_cannot_be_written(app, make, database, runner, tmp_path):
    make.coordinator()
    database.session.commit()
    target = tmp_path / "absent" / "decp.json"

    result = runner.invoke(args=["decp", "export", "--out", str(target)])

    assert result.exit_code == 1
    assert f"Erreur : impossible d'écrire {target}" in result.stderr
    assert not target.exists()
