"""The DECP export on a real database: which contracts are due, what is published, what is listed
as incomplete, the scope of a coordinator, and the `groupement decp export` command."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from groupement.campaigns.rules import SubmissionStatus
from groupement.contracts.awards import award_lot, set_price_type
from groupement.contracts.decp import ContractProblem, decp_document, decp_report, export_decp
from groupement.contracts.rules import PriceType
from groupement.core.access import Role
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import ServiceError
from groupement.core.timeutil import utcnow
from groupement.lots.campaign_aggregation import aggregate_campaign
from groupement.lots.edits import publish_lot, set_open_data
from groupement.lots.models import Lot
from groupement.organisations.families import Family
from groupement.organisations.models import Organisation
from groupement.tenders.models import AwardCriteria
from tests.decp_schema import VALIDATOR

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
    award(make, lots[Family.VEHICULES], number="SANS-ORIGINE", procedure="Appel d'offres ouvert")
    database.session.commit()

    document, problems = decp_document(TODAY, officer)

    assert entries(document) == {}
    by_number = {problem.contract_number: problem for problem in problems}
    assert set(by_number) == {"SANS-SIRET", "SANS-ORIGINE"}
    assert by_number["SANS-SIRET"] == ContractProblem(
        "SANS-SIRET",
        ["acheteur.id : SIRET du coordonnateur (acheteur) non renseigné"],
        f"{lots[Family.INFORMATIQUE].title} — {lots[Family.INFORMATIQUE].campaign.title}",
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


# --- what the award used: criteria, clauses, price type, CCAG; the first publication ------------------


def criteria(database, lot, environmental: int) -> None:
    database.session.add(
        AwardCriteria(
            lot_id=lot.id,
            price_weight=Decimal(90 - environmental),
            technical_weight=Decimal(10),
            environmental_weight=Decimal(environmental),
        )
    )
    database.session.commit()


def test_a_10_point_environmental_criterion_exports_critere_environnemental(make, database):
    lots, officer = build_lots(make, database)
    criteria(database, lots[Family.INFORMATIQUE], environmental=10)
    criteria(database, lots[Family.FOURNITURES], environmental=0)
    award(make, lots[Family.INFORMATIQUE], number="CRITERE-ENV")
    award(make, lots[Family.FOURNITURES], number="SANS-CRITERE")
    database.session.commit()

    document, problems = decp_document(TODAY, officer)

    assert problems == [] and list(VALIDATOR.iter_errors(document)) == []
    published = entries(document)
    assert published["CRITERE-ENV"]["considerationsEnvironnementales"] == {
        "considerationEnvironnementale": ["Critère environnemental"]
    }
    assert published["SANS-CRITERE"]["considerationsEnvironnementales"] == {
        "considerationEnvironnementale": ["Pas de considération environnementale"]
    }
    assert published["CRITERE-ENV"]["considerationsSociales"] == {
        "considerationSociale": ["Pas de considération sociale"]
    }


def test_the_clauses_recorded_on_the_lot_are_exported_beside_the_criteria(make, database):
    lots, officer = build_lots(make, database)
    lot = lots[Family.FOURNITURES]
    criteria(database, lot, environmental=15)
    set_open_data(officer, lot.id, "Pas de CCAG", social_clause=True, environmental_clause=True, reserved_market=True)
    award(make, lot, number="CLAUSES")
    database.session.commit()

    document, problems = decp_document(TODAY, officer)

    assert problems == [] and list(VALIDATOR.iter_errors(document)) == []
    entry = entries(document)["CLAUSES"]
    assert entry["considerationsSociales"] == {"considerationSociale": ["Clause sociale", "Marché réservé"]}
    assert entry["considerationsEnvironnementales"] == {
        "considerationEnvironnementale": ["Critère environnemental", "Clause environnementale"]
    }
    assert entry["ccag"] == "Pas de CCAG"
    event = database.session.scalars(select(AuditEvent).where(AuditEvent.action == "lot.open_data")).one()
    assert event.before["ccag"] == "Fournitures courantes et services" and event.after["reserved_market"] is True


def test_types_prix_follows_the_contract(make, database):
    lots, officer = build_lots(make, database)
    ferme = award(make, lots[Family.INFORMATIQUE], number="FERME")
    revisable = award(make, lots[Family.FOURNITURES], number="REVISABLE")
    database.session.commit()
    assert ferme.price_type is PriceType.FERME  # the default
    set_price_type(officer, revisable.id, "Définitif révisable")
    database.session.commit()

    document, _ = decp_document(TODAY, officer)

    assert list(VALIDATOR.iter_errors(document)) == []
    published = entries(document)
    assert published["FERME"]["typesPrix"] == {"typePrix": ["Définitif ferme"]}
    assert published["REVISABLE"]["typesPrix"] == {"typePrix": ["Définitif révisable"]}
    with pytest.raises(ServiceError, match="Type de prix inconnu « Provisoire »"):
        set_price_type(officer, revisable.id, "Provisoire")


def test_the_price_type_is_chosen_at_award(make, database):
    from tests.integration.test_awards import NOTIFIED as AWARD_NOTIFIED
    from tests.integration.test_awards import START, build_tender

    tender = build_tender(make, database)
    contract = award_lot(
        tender.coordinator,
        tender.lot.id,
        tender.cheap.id,
        "",
        START,
        AWARD_NOTIFIED,
        price_type="Définitif actualisable",
    )
    assert contract.price_type is PriceType.ACTUALISABLE


def test_the_first_publication_date_is_stored_at_the_first_export_and_kept_after(make, database):
    lots, officer = build_lots(make, database)
    first = award(make, lots[Family.INFORMATIQUE], number="PREMIER")
    database.session.commit()

    assert decp_report(TODAY, officer).exported[0].first_published_on is None  # the page writes nothing
    assert first.first_published_on is None
    one = export_decp(TODAY, officer)
    database.session.commit()
    later = award(make, lots[Family.FOURNITURES], number="SECOND")
    database.session.commit()
    two = export_decp(TODAY + timedelta(days=30), officer)
    database.session.commit()

    assert entries(one.document)["PREMIER"]["datePublicationDonnees"] == "2027-03-10"
    published = entries(two.document)
    assert published["PREMIER"]["datePublicationDonnees"] == "2027-03-10"  # stable across exports
    assert published["SECOND"]["datePublicationDonnees"] == "2027-04-09"
    assert list(VALIDATOR.iter_errors(two.document)) == []
    assert (first.first_published_on, later.first_published_on) == (TODAY, TODAY + timedelta(days=30))
    events = database.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "decp.first_publication").order_by(AuditEvent.id)
    ).all()
    assert [event.after["number"] for event in events] == ["PREMIER", "SECOND"]


def test_the_ccag_and_clauses_are_edited_on_the_lot_page_in_french(app, make, database):
    from groupement.organisations.user_models import User
    from tests.conftest import csrf_token_of, log_in

    lots, officer = build_lots(make, database)
    lot = lots[Family.INFORMATIQUE]
    client = app.test_client()
    log_in(client, database.session.get(User, officer.user_id).email)
    page = client.get(f"/lots/{lot.id}").get_data(as_text=True)
    assert "Données essentielles (DECP)" in page and "CCAG de référence" in page
    token = csrf_token_of(page)
    action = f"/lots/{lot.id}/donnees-essentielles"

    wrong = client.post(action, data={"csrf_token": token, "ccag": "CCAG-FCS"}, follow_redirects=True)
    assert "CCAG inconnu « CCAG-FCS » : choisissez un CCAG de la liste." in wrong.get_data(as_text=True)
    database.session.expire_all()
    assert database.session.get(Lot, lot.id).ccag.value == "Fournitures courantes et services"

    done = client.post(
        action,
        data={
            "csrf_token": token,
            "ccag": "Techniques de l'information et de la communication",
            "environmental_clause": "y",
        },
        follow_redirects=True,
    )
    assert (
        f"Données essentielles du lot n° {lot.number} enregistrées : CCAG « Techniques de l&#39;information et de la "
        "communication »."
    ) in done.get_data(as_text=True)
    award(make, lot, number="CCAG-TIC")
    database.session.commit()
    entry = entries(decp_document(TODAY, officer)[0])["CCAG-TIC"]
    assert entry["ccag"] == "Techniques de l'information et de la communication"
    assert entry["considerationsEnvironnementales"] == {"considerationEnvironnementale": ["Clause environnementale"]}
