"""Savings of a campaign read from the database: per lot, per commune, against the estimate and the
previous campaign's prices; the Excel file for the elected officials; the home page's figures."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from groupement.campaigns.rules import SubmissionStatus
from groupement.contracts.awards import award_lot
from groupement.core.access import Role, system_actor
from groupement.core.errors import Forbidden, NotFound
from groupement.core.timeutil import utcnow
from groupement.lots.campaign_aggregation import aggregate_campaign
from groupement.lots.models import LotLine
from groupement.savings.report import savings_overview, savings_report
from groupement.savings.rules import Comparison, Reference
from groupement.savings.savings_xlsx import savings_xlsx
from tests.integration.test_awards import NOTIFIED, START, build_tender
from tests.queries import count_queries

D = Decimal


@pytest.fixture
def awarded(make, database):
    """Laptops 850,00 → 765,10 (A 4, B 6), screens 129,50 → 110,50 (A 6), awarded to the cheap offer."""
    tender = build_tender(make, database)
    award_lot(tender.coordinator, tender.lot.id, tender.cheap.id, "", START, NOTIFIED)
    return tender


def previous_campaign(make, database, tender, laptop_price: Decimal, group=None) -> None:
    """Last year's campaign of the same groupement (or of `group`): laptops only, estimated at
    laptop_price + 1,00 eco."""
    now = utcnow()
    group = group or tender.campaign.groupement
    if group.id != tender.campaign.groupement_id:
        make.membership(group, tender.commune_a)
    earlier = make.campaign(
        group,
        [tender.laptop],
        title="Recensement précédent",
        year=2026,
        opens_at=now - timedelta(days=400),
        closes_at=now - timedelta(days=370),
    )
    make.submission(earlier, tender.commune_a, {tender.laptop: 3}, status=SubmissionStatus.VALIDATED)
    database.session.commit()
    aggregate_campaign(system_actor(earlier.groupement.coordinator_id), earlier.id)
    line = database.session.scalar(select(LotLine).where(LotLine.campaign_id == earlier.id))
    line.estimated_unit_price = laptop_price  # the catalogue price of that time
    database.session.commit()


def test_the_savings_of_a_lot_and_of_each_commune_against_the_estimate(awarded, database):
    #                 estimated    awarded    savings
    # laptops          8 500,00   7 651,00     849,00
    # screens            777,00     663,00     114,00
    # lot 1            9 277,00   8 314,00     963,00   10,38 %
    # commune A        4 177,00   3 723,40     453,60   (4 laptops, 6 screens)
    # commune B        5 100,00   4 590,60     509,40   (6 laptops)
    report = savings_report(awarded.accountant, awarded.campaign.id)
    (lot,) = report.lots
    assert lot.totals.estimate == Comparison(D("9277.00"), D("8314.00"))
    assert lot.totals.estimate.savings == D("963.00")
    assert lot.totals.estimate.percent == D("10.38")
    assert (lot.contract_number, lot.supplier_name) == (f"2027-{awarded.campaign.id}-L01", "Bureautique des Alpes")
    communes = {row.commune_id: row.totals.estimate for row in report.communes}
    assert communes == {
        awarded.commune_a.id: Comparison(D("4177.00"), D("3723.40")),
        awarded.commune_b.id: Comparison(D("5100.00"), D("4590.60")),
    }
    assert report.total.estimate == lot.totals.estimate
    assert [(line.ref.split("-")[1], line.quantity) for line in report.lines] == [("ECRAN", 6), ("PORT", 10)]
    assert report.pending == [] and report.previous_campaign is None


def test_lots_without_a_contract_are_listed_apart_without_figures(make, database):
    tender = build_tender(make, database)
    report = savings_report(tender.coordinator, tender.campaign.id)
    assert report.empty
    assert [(lot.number, lot.status_label) for lot in report.pending] == [(1, "publié")]
    assert report.total.estimate == Comparison(D("0.00"), D("0.00"))


def test_the_previous_campaign_prices_are_compared_for_the_items_it_had(make, awarded, database):
    previous_campaign(make, database, awarded, D("899.00"))
    report = savings_report(awarded.coordinator, awarded.campaign.id)
    assert report.previous_campaign.title == "Recensement précédent"
    # Laptops only: 10 × 900,00 = 9 000,00 against 7 651,00; screens have no previous price.
    assert report.total.previous == Comparison(D("9000.00"), D("7651.00"))
    assert report.total.previous.percent == D("14.99")
    assert (report.total.lines_with_previous, report.total.lines) == (1, 2)
    by_commune = {row.commune_id: row.totals.previous for row in report.communes}
    assert by_commune[awarded.commune_a.id] == Comparison(D("3600.00"), D("3060.40"))
    assert by_commune[awarded.commune_b.id] == Comparison(D("5400.00"), D("4590.60"))
    prices = {line.ref.split("-")[1]: line.previous_unit for line in report.lines}
    assert prices == {"PORT": D("900.00"), "ECRAN": None}


def test_a_later_campaign_is_not_a_previous_one(make, awarded, database):
    later = make.campaign(awarded.campaign.groupement, [awarded.laptop], title="Recensement suivant")
    database.session.commit()
    assert later.opens_at > awarded.campaign.opens_at
    assert savings_report(awarded.coordinator, awarded.campaign.id).previous_campaign is None


def test_the_report_reads_the_same_number_of_queries_whatever_the_size(make, database):
    def queries_for(tender) -> int:
        award_lot(tender.coordinator, tender.lot.id, tender.cheap.id, "", START, NOTIFIED)
        database.session.expire_all()
        reports = []
        queries = count_queries(
            database.engine, lambda: reports.append(savings_report(tender.coordinator, tender.campaign.id))
        )
        assert reports[0].lots
        return queries

    small = queries_for(build_tender(make, database))
    large = queries_for(build_tender(make, database, extra_communes=6))
    assert small == large
    assert small <= 8


def test_the_savings_are_for_the_coordinators_side_within_scope(make, awarded, database):
    with pytest.raises(Forbidden):
        savings_report(awarded.agent, awarded.campaign.id)
    stranger = make.user(Role.COORDINATOR, make.coordinator(name="Autre EPCI", siren=make.valid_siren(998))).actor
    database.session.commit()
    with pytest.raises(NotFound):
        savings_report(stranger, awarded.campaign.id)
    assert savings_overview(stranger) == []
    assert savings_overview(awarded.agent) == []


def test_the_home_page_figures_sum_each_campaign_with_contracts(make, awarded, database):
    build_tender(make, database)  # another groupement's campaign: not this coordinator's
    (summary,) = savings_overview(awarded.coordinator)
    assert (summary.campaign_id, summary.lots) == (awarded.campaign.id, 1)
    assert summary.estimate == Comparison(D("9277.00"), D("8314.00"))


def test_the_excel_file_holds_the_summary_the_lots_the_communes_and_the_lines(make, awarded, database):
    previous_campaign(make, database, awarded, D("899.00"))
    awarded.commune_b.name = "=Commune B"  # a name a spreadsheet would run as a formula
    database.session.commit()
    content = savings_xlsx(savings_report(awarded.coordinator, awarded.campaign.id))
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Synthèse", "Par lot", "Par commune", "Par commune et lot", "Par ligne"]

    summary = {row[0]: row[1] for row in book["Synthèse"].iter_rows(min_row=2, values_only=True)}
    assert summary["Montant estimé HT (annuel)"] == pytest.approx(9277.00)
    assert summary["Économies réalisées HT (annuelles)"] == pytest.approx(963.00)
    assert summary["Économies réalisées (%)"] == pytest.approx(0.1038)
    assert summary["Économie par rapport aux prix précédents HT"] == pytest.approx(1349.00)
    assert "plus forts restes" in summary["Méthode"]

    lots = list(book["Par lot"].iter_rows(values_only=True))
    assert lots[0][:9] == (
        "Lot",
        "Intitulé",
        "Famille",
        "Titulaire",
        "N° de contrat",
        "Estimé HT",
        "Attribué HT",
        "Économie HT",
        "Économie (%)",
    )
    assert lots[1][3:8] == ("Bureautique des Alpes", f"2027-{awarded.campaign.id}-L01", 9277, 8314, 963)
    assert lots[-1][0] == "Total"
    assert book["Par lot"]["I2"].number_format == "0.00\\ %"
    assert book["Par lot"]["F2"].number_format == '#,##0.00\\ "€"'

    communes = {row[0]: row[2:5] for row in book["Par commune"].iter_rows(min_row=2, values_only=True)}
    assert communes["'=Commune B"] == (5100, pytest.approx(4590.60), pytest.approx(509.40))
    assert communes["Total"] == (9277, 8314, 963)
    assert len(list(book["Par ligne"].iter_rows(min_row=2))) == 2


# --- against last year's contract prices -----------------------------------------------------------------


def previous_contract(make, database, tender, estimate: Decimal, contract_price: Decimal) -> None:
    """Last year's campaign (laptops), estimated at `estimate` and awarded at `contract_price` (+ 1,00 eco)."""
    previous_campaign(make, database, tender, estimate)
    earlier = database.session.scalar(select(LotLine).where(LotLine.campaign_id != tender.campaign.id))
    offer = make.offer(earlier.lot, make.supplier(name="Titulaire 2026"), prices={earlier: contract_price})
    make.contract(offer, number=f"2026-PREV-{tender.campaign.id}")
    database.session.commit()


def test_a_contract_dearer_than_last_years_contract_price_shows_a_surcharge(make, awarded, database):
    # The issue: last year's estimate was 790,00 + 1,00 (the award looks 3,28 % cheaper), but last
    # year's contract charged 643,57 + 1,00: 10 laptops at 765,10 are 18,70 % dearer than 6 445,70.
    previous_contract(make, database, awarded, D("790.00"), D("643.57"))
    report = savings_report(awarded.coordinator, awarded.campaign.id)
    assert report.total.previous == Comparison(D("6445.70"), D("7651.00"))
    assert report.total.previous_reference is Reference.CONTRACT
    assert report.total.previous.surcharge
    assert (report.total.previous.extra_cost, report.total.previous.surcharge_percent) == (D("1205.30"), D("18.70"))
    laptop = next(line for line in report.lines if line.previous is not None)
    assert (laptop.previous_unit, laptop.previous_reference) == (D("644.57"), Reference.CONTRACT)

    summary = _summary(savings_xlsx(report))
    assert summary["Référence de comparaison"] == "Prix des marchés"
    assert summary["Surcoût par rapport aux prix précédents HT"] == pytest.approx(1205.30)
    assert summary["Surcoût par rapport aux prix précédents (%)"] == pytest.approx(0.1870)
    assert "Économie par rapport aux prix précédents HT" not in summary


def test_a_campaign_without_a_previous_contract_falls_back_to_estimates_and_says_so(make, awarded, database):
    previous_campaign(make, database, awarded, D("899.00"))  # aggregated, never awarded
    report = savings_report(awarded.coordinator, awarded.campaign.id)
    assert report.total.previous == Comparison(D("9000.00"), D("7651.00"))
    assert report.total.previous_reference is Reference.ESTIMATE
    assert report.total.previous_reference.label == "estimations (sans marché)"
    assert not report.total.previous.surcharge and report.total.previous.surcharge_percent is None
    book = load_workbook(io.BytesIO(savings_xlsx(report)))
    lines = list(book["Par ligne"].iter_rows(values_only=True))
    reference = lines[0].index("Référence précédente")
    assert sorted(row[reference] or "" for row in lines[1:]) == ["", "Estimation (pas de marché)"]


def test_the_savings_page_words_a_surcharge_and_names_its_reference(app, make, awarded, database):
    from groupement.organisations.user_models import User
    from tests.conftest import log_in

    previous_contract(make, database, awarded, D("790.00"), D("643.57"))
    client = app.test_client()
    log_in(client, database.session.get(User, awarded.coordinator.user_id).email)
    page = client.get(f"/campagnes/{awarded.campaign.id}/economies").get_data(as_text=True)
    assert (
        "1\u202f205,30\xa0€</span>\n    de surcoût par rapport aux prix des marchés de\n"
        "    « Recensement précédent » (+18,7\xa0%)" in page
    )
    assert "surcoût de 1\u202f205,30\xa0€" in page  # the lot's row
    assert "+18,7\xa0% (surcoût)" in page
    assert "1 au prix du marché, 0 à l'estimation faute de marché" in page


def test_the_previous_campaign_is_the_coordinators_in_any_of_its_groupements_never_anothers(make, awarded, database):
    coordinator = awarded.campaign.groupement.coordinator
    stranger = make.coordinator(name="Vienne Condrieu", siren="200077014", siret="20007701400013")
    previous_campaign(make, database, awarded, D("899.00"), group=make.groupement(stranger))
    assert savings_report(awarded.coordinator, awarded.campaign.id).previous_campaign is None
    previous_campaign(make, database, awarded, D("899.00"), group=make.groupement(coordinator))
    report = savings_report(awarded.coordinator, awarded.campaign.id)
    assert report.previous_campaign is not None
    assert report.previous_campaign.groupement.coordinator_id == coordinator.id
    assert report.previous_campaign.groupement_id != awarded.campaign.groupement_id


def _summary(content: bytes) -> dict:
    book = load_workbook(io.BytesIO(content))
    return {row[0]: row[1] for row in book["Synthèse"].iter_rows(min_row=2, values_only=True)}
