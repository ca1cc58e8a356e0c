from sqlalchemy import func, select

from groupement.catalog.models import CatalogItem
from groupement.core.access import Role
from groupement.core.audit_log import AuditEvent
from groupement.demo.dataset import DEMO_PASSWORD, load_demo
from groupement.organisations.families import Family
from groupement.organisations.models import Groupement, Membership, Organisation
from groupement.organisations.user_models import User
from groupement.organisations.users import authenticate


def totals(db):
    return [
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Organisation, Groupement, Membership, User, CatalogItem, AuditEvent)
    ]


def test_the_demo_loads_the_capi_its_22_communes_and_is_idempotent(database):
    logins = load_demo()
    first = totals(database)
    assert first[:2] == [23, 1] and first[2] == 22
    capi = database.session.scalar(select(Organisation).where(Organisation.siren == "243800604"))
    assert capi.siret == "24380060400346" and "L'Isle-d'Abeau" in capi.city
    population = database.session.scalar(select(func.sum(Organisation.population)))
    assert population == 111450
    without_vehicles = [m for m in database.session.scalars(select(Membership)) if Family.VEHICULES not in m.families]
    assert 0 < len(without_vehicles) < 22
    assert {login.role for login in logins} == set(Role)
    for login in logins:
        assert authenticate(login.email, DEMO_PASSWORD) is not None
    load_demo()
    assert totals(database) == first


def test_cli_catalog_import_reports_counts_then_refuses_a_bad_file_with_exit_code_1(app, database, tmp_path):
    runner = app.test_cli_runner()
    good = tmp_path / "bon.csv"
    good.write_text(
        "ref;designation;famille;code_cpv;unite;prix_unitaire_ht;taux_tva;eco_participation;compte_m57\n"
        "FOU-A;Ramette A4;fournitures;30197630-1;ramette;4,20;20,00;0,00;6064\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["catalog", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 créé(s), 0 mis à jour, 0 inchangé(s)" in result.output
    bad = tmp_path / "mauvais.csv"
    bad.write_text(good.read_text(encoding="utf-8").replace("30197630-1", "30197630-2"), encoding="utf-8")
    result = runner.invoke(args=["catalog", "import", str(bad)])
    assert result.exit_code == 1
    assert "mauvais.csv, ligne 2, colonne « code_cpv »" in result.output
    assert "Erreur : Import refusé : 1 erreur, rien n'a été enregistré." in result.output
    missing = runner.invoke(args=["catalog", "import", str(tmp_path / "absent.csv")])
    assert missing.exit_code == 1 and "impossible de lire" in missing.output


def test_cli_demo_prints_one_login_per_role(app, database):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert DEMO_PASSWORD in result.output
    labels = ("Coordonnateur", "Administrateur", "Comptable", "Agent communal", "Signataire communal", "Fournisseur")
    for label in labels:
        assert label in result.output


def test_the_demo_campaign_2027_is_open_with_most_communes_validated_and_two_not_started(database):
    from groupement.campaigns.models import Campaign, Submission
    from groupement.campaigns.rules import CampaignStatus, SubmissionStatus

    load_demo()
    current = database.session.scalar(select(Campaign).where(Campaign.year == 2027))
    assert current.status is CampaignStatus.OPEN
    statuses = [
        s.status for s in database.session.scalars(select(Submission).where(Submission.campaign_id == current.id))
    ]
    assert len(statuses) == 20  # 22 communes, two not started
    assert statuses.count(SubmissionStatus.VALIDATED) == 16
    assert statuses.count(SubmissionStatus.SUBMITTED) == 2 and statuses.count(SubmissionStatus.DRAFT) == 2
    previous = database.session.scalar(select(Campaign).where(Campaign.year == 2026))
    assert previous.status is CampaignStatus.AGGREGATED


def test_the_demo_carries_last_years_campaign_through_to_a_split_invoice(database):
    from groupement.contracts.models import Contract, Delivery, Order
    from groupement.invoices.models import Allocation, Invoice
    from groupement.invoices.states import InvoiceStatus
    from groupement.lots.models import Lot
    from groupement.lots.rules import LotStatus
    from groupement.tenders.models import Offer

    load_demo()
    lots = database.session.scalars(select(Lot)).all()
    assert lots and all(lot.status is LotStatus.AWARDED for lot in lots)
    counts = [database.session.scalar(select(func.count()).select_from(m)) for m in (Offer, Contract, Order, Delivery)]
    assert counts == [3 * len(lots), len(lots), 6, 6]
    invoice = database.session.scalars(select(Invoice)).one()
    assert invoice.status is InvoiceStatus.SPLIT
    assert database.session.scalar(select(func.sum(Allocation.ttc))) == invoice.total_ttc
