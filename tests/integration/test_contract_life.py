"""The contract's life (issue 17): a contract renewed once, with one amendment and one price
revision; an order at the revised price, an invoice checked against the price in force on the
order's day; a missing index keeps the price and the order says why; amendments past the limits
are refused with the figures; another coordinator reaches none of it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from groupement.campaigns.rules import SubmissionStatus
from groupement.contracts.amendment_rules import AmendmentRefused, Ground
from groupement.contracts.amendments import add_amendment
from groupement.contracts.decp import decp_report, export_decp
from groupement.contracts.models import Contract
from groupement.contracts.order_rules import add_months
from groupement.contracts.orders import place_order, record_delivery
from groupement.contracts.renewal_rules import RenewalRefused
from groupement.contracts.renewals import decide_renewal, set_renewal_terms
from groupement.contracts.revisions import (
    compute_revisions,
    import_index_values,
    record_index_value,
    set_formula,
)
from groupement.core.access import Actor, Role, system_actor
from groupement.core.errors import ImportRejected, NotFound, ServiceError
from groupement.core.timeutil import paris_today, utcnow
from groupement.invoices.importing import import_invoice
from groupement.invoices.matching import match_invoice
from groupement.invoices.service_fait import certify_delivery
from groupement.lots.campaign_aggregation import aggregate_campaign
from groupement.lots.models import Lot
from tests.decp_schema import VALIDATOR

HEADER = (
    "numero_facture;date_facture;fournisseur_siret;acheteur_nom;acheteur_siret;numero_commande;code_insee;"
    "ref_article;designation;quantite;prix_unitaire_ht;taux_tva"
)


@dataclass
class Life:
    capi_siret: str
    coordinator: Actor
    accountant: Actor
    agent: Actor
    contract: Contract
    today: date
    start: date


@pytest.fixture
def life(make, database) -> Life:
    """A laptop contract (849,00 € + 2,00 €), 12 months from 11 months ago, maximum 100 000 € HT."""
    capi = make.coordinator(postcode="38081")
    group = make.groupement(capi)
    four = make.organisation(insee_code="38172", name="Four", population=1672)
    make.membership(group, four)
    laptop = make.item(ref="INF-PORT", unit_price_ht=Decimal("849.00"), eco_participation=Decimal("2.00"))
    now = utcnow()
    campaign = make.campaign(group, [laptop], opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=1))
    make.submission(campaign, four, {laptop: 10}, status=SubmissionStatus.VALIDATED)
    agent = make.user(Role.AGENT, four).actor
    coordinator = make.user(Role.COORDINATOR, capi).actor
    accountant = make.user(Role.ACCOUNTANT, capi).actor
    database.session.commit()
    aggregate_campaign(system_actor(capi.id), campaign.id)
    lot = database.session.scalars(select(Lot)).one()
    lot.maximum_amount = Decimal("100000")
    today = paris_today()
    start = add_months(today, -11)
    contract = make.contract(
        make.offer(lot, make.supplier(capi)),
        start_date=start,
        notified_on=start - timedelta(days=1),
        duration_months=12,
        maximum_amount=Decimal("100000"),
    )
    database.session.commit()
    return Life(capi.siret, coordinator, accountant, agent, contract, today, start)


def _revise(life: Life, with_new_index: bool = True) -> None:
    """P = P0 × (0,15 + 0,85 × I/I0), revised every 6 months: revision n° 1 is due today."""
    base = life.start.replace(day=1)
    set_formula(life.coordinator, life.contract.id, Decimal("0.15"), [("ICHT-IME", Decimal("0.85"))], base, 6)
    record_index_value(life.coordinator, life.contract.id, "ICHT-IME", base, "100")
    if with_new_index:
        record_index_value(life.coordinator, life.contract.id, "ICHT-IME", add_months(base, 6), "110,0")


def _order_pdf_text(life: Life, order, name: str) -> str:
    """The bon de commande as the commune downloads it (archived at its first download), its pages
    kept as PNG to look at, its text read back with the spaces of French figures made plain."""
    from groupement.contracts.order_file import order_pdf_file
    from tests.pdf_reading import pdf_text, pdf_to_png

    content, _ = order_pdf_file(life.agent, order.id)
    assert pdf_to_png(content, name)
    return " ".join(pdf_text(content).replace("\u202f", " ").replace("\xa0", " ").split())


def _invoice_csv(life: Life, number: str, order_number: str, price: str) -> bytes:
    line = (
        f"{number};{life.today.isoformat()};{life.contract.supplier.siret};CAPI;{life.capi_siret};{order_number};"
        f"38172;INF-PORT;Portable;2;{price};20"
    )
    return (HEADER + "\n" + line + "\n").encode()


def test_a_contract_renewed_once_with_one_amendment_and_one_revision_bills_the_revised_price(life, database):
    old_end = life.contract.execution_period.end
    set_renewal_terms(life.coordinator, life.contract.id, 1, 12, 0)
    renewal = decide_renewal(life.coordinator, life.contract.id, 1, True, life.today)
    assert renewal.new_end == add_months(life.start, 24) - timedelta(days=1)
    assert life.contract.execution_period.end == renewal.new_end > old_end
    with pytest.raises(RenewalRefused, match="Toutes les reconductions prévues"):
        decide_renewal(life.coordinator, life.contract.id, 2, True, life.today)

    amendment = add_amendment(
        life.coordinator, life.contract.id, Decimal("5000"), Ground.DE_MINIMIS, life.today, "Écrans ajoutés"
    )
    assert (amendment.maximum_before, amendment.maximum_after) == (Decimal("100000"), Decimal("105000"))
    assert life.contract.maximum_amount == Decimal("105000")
    assert life.contract.initial_maximum == Decimal("100000")

    _revise(life)
    result = compute_revisions(life.coordinator, life.contract.id, life.today)
    assert [r.number for r in result.computed] == [1]
    revision = result.computed[0]
    assert revision.coefficient == Decimal("1.0850")  # 0,15 + 0,85 × 110 / 100
    assert life.contract.prices[0].unit_price == Decimal("764.1000")  # the awarded offer's price
    assert revision.prices[0].unit_price == Decimal("829.0485")  # 764,10 × 1,085, 4 decimals

    order = place_order(life.agent, life.contract.id, [(life.contract.prices[0].id, 2)], "Mairie de Four")
    assert order.lines[0].unit_price == Decimal("829.0485")
    assert order.total_ht == Decimal("1662.10")  # 2 × (829,0485 + 2,00) = 1 662,097, to the cent once
    assert order.price_note == ""
    printed = _order_pdf_text(life, order, "bon-de-commande-prix-revises")
    assert "Prix révisés : révision n° 1 du marché (coefficient 1,0850, indices de " in printed
    assert f"en vigueur depuis le {add_months(life.start, 6):%d/%m/%Y}" in printed and "829,0485 €" in printed
    delivery = record_delivery(life.agent, order.lines[0].id, life.today, 2)
    certify_delivery(life.agent, delivery.id)

    good = import_invoice(life.accountant, "F-1.csv", _invoice_csv(life, "F-1", order.number, "829.0485"))
    assert match_invoice(life.accountant, good.id).mismatches == 0
    (passing,) = [c for c in good.checks if c.rule == "PRIX"]
    assert passing.ok and f"dont 1 au prix révisé (révision n° 1, commande {order.number})" in passing.message
    initial = import_invoice(life.accountant, "F-2.csv", _invoice_csv(life, "F-2", order.number, "764.10"))
    match_invoice(life.accountant, initial.id)
    prices = [c.message for c in initial.checks if c.rule == "PRIX"]
    assert prices and "prix du marché 829,0485 € + éco-participation 2,00 €" in prices[0].replace("\u00a0", " ")

    report = decp_report(life.today, life.coordinator)
    assert report.problems == []
    (entry,) = report.document["marches"]["marche"]
    assert entry["montant"] == Decimal("100000.00") and entry["dureeMois"] == 12
    modifications = [m["modification"] for m in entry["modifications"]]
    assert [(m["id"], m["montant"], m["dureeMois"]) for m in modifications] == [
        (1, Decimal("100000.00"), 24),
        (2, Decimal("105000.00"), 24),
    ]
    errors = list(VALIDATOR.iter_errors(json.loads(json.dumps(report.document, default=float))))
    assert errors == []
    export_decp(life.today, life.coordinator)
    assert amendment.published_on == life.today and renewal.published_on == life.today


def test_an_order_after_the_original_end_is_allowed_within_the_renewal(life):
    after_end = life.contract.execution_period.end + timedelta(days=10)
    with pytest.raises(ServiceError, match="a pris fin"):
        place_order(life.agent, life.contract.id, [(life.contract.prices[0].id, 1)], "Mairie", today=after_end)
    set_renewal_terms(life.coordinator, life.contract.id, 1, 12, 0)
    decide_renewal(life.coordinator, life.contract.id, 1, True, life.today)
    order = place_order(life.agent, life.contract.id, [(life.contract.prices[0].id, 1)], "Mairie", today=after_end)
    assert order.ordered_on == after_end


def test_a_renewal_after_the_notice_deadline_is_refused_with_the_dates(life):
    set_renewal_terms(life.coordinator, life.contract.id, 1, 12, 3)
    with pytest.raises(RenewalRefused, match=r"date limite de décision \(préavis de 3 mois\) était le"):
        decide_renewal(life.coordinator, life.contract.id, 1, True, life.today)
    decision = decide_renewal(life.coordinator, life.contract.id, 1, False, life.today)
    assert not decision.renewed and life.contract.renewals_closed


def test_renewals_beyond_four_years_are_refused(life):
    with pytest.raises(RenewalRefused, match="au plus 48 mois"):
        set_renewal_terms(life.coordinator, life.contract.id, 4, 12, 3)  # 12 + 4 × 12 = 60 months


def test_an_amendment_past_the_de_minimis_limits_without_a_ground_is_refused_with_the_figures(life, database):
    add_amendment(life.coordinator, life.contract.id, Decimal("6000"), Ground.DE_MINIMIS, life.today)
    with pytest.raises(AmendmentRefused) as refused:
        add_amendment(life.coordinator, life.contract.id, Decimal("-4500"), Ground.DE_MINIMIS, life.today)
    message = str(refused.value).replace("\u202f", " ").replace("\u00a0", " ")
    assert "10 500,00 €" in message and "10 000,00 €" in message and "216 000,00 €" in message
    assert life.contract.maximum_amount == Decimal("106000")
    with pytest.raises(AmendmentRefused, match="justification"):
        add_amendment(life.coordinator, life.contract.id, Decimal("20000"), Ground.UNFORESEEABLE, life.today)
    row = add_amendment(
        life.coordinator,
        life.contract.id,
        Decimal("20000"),
        Ground.UNFORESEEABLE,
        life.today,
        justification="Pénurie mondiale de composants : remplacement par un modèle supérieur.",
    )
    assert row.sequence == 2 and life.contract.maximum_amount == Decimal("126000")


def test_a_works_contract_admits_de_minimis_amendments_up_to_fifteen_per_cent(life):
    from groupement.contracts.awards import set_nature

    with pytest.raises(AmendmentRefused, match="10 %"):
        add_amendment(life.coordinator, life.contract.id, Decimal("12000"), Ground.DE_MINIMIS, life.today)
    set_nature(life.coordinator, life.contract.id, "travaux")
    row = add_amendment(life.coordinator, life.contract.id, Decimal("12000"), Ground.DE_MINIMIS, life.today)
    assert row.maximum_after == Decimal("112000")
    with pytest.raises(AmendmentRefused, match="15 % du montant initial"):
        add_amendment(life.coordinator, life.contract.id, Decimal("3000"), Ground.DE_MINIMIS, life.today)
    with pytest.raises(ServiceError, match="Nature du marché inconnue"):
        set_nature(life.coordinator, life.contract.id, "immobilier")


def test_a_missing_index_keeps_the_price_and_the_order_says_why(life):
    _revise(life, with_new_index=False)
    result = compute_revisions(life.coordinator, life.contract.id, life.today)
    assert result.computed == [] and "ICHT-IME de" in result.missing[0]
    order = place_order(life.agent, life.contract.id, [(life.contract.prices[0].id, 1)], "Mairie de Four")
    assert order.lines[0].unit_price == Decimal("764.1000")
    month = add_months(life.start.replace(day=1), 6)
    assert "Prix non révisés : la révision n° 1" in order.price_note
    assert f"ICHT-IME de {month:%m/%Y}" in order.price_note and "prix initiaux du marché maintenus" in order.price_note
    printed = _order_pdf_text(life, order, "bon-de-commande-indice-manquant")
    assert "Prix non révisés : la révision n° 1" in printed and f"ICHT-IME de {month:%m/%Y}" in printed
    assert "Prix révisés" not in printed and "764,10 €" in printed


def test_index_values_import_all_or_nothing_with_rows_and_columns(life, database):
    bad = b"indice;mois;valeur\nICHT-IME;01/2027;112,4\nICHT-IME;13/2027;1\n;02/2027;-3\n"
    with pytest.raises(ImportRejected) as rejected:
        import_index_values(life.coordinator, life.contract.id, bad, "indices.csv")
    where = [(i.row, i.column) for i in rejected.value.issues]
    assert where == [(3, "mois"), (4, "indice"), (4, "valeur")]
    good = b"indice;mois;valeur\nICHT-IME;01/2027;112,4\nICHT-IME;2027-02;113\n"
    assert import_index_values(life.coordinator, life.contract.id, good, "indices.csv") == 2


def test_another_coordinator_reaches_none_of_it(life, make):
    other = make.user(Role.COORDINATOR, make.coordinator(name="Autre EPCI", siren=make.valid_siren(999))).actor
    for action in (
        lambda: set_renewal_terms(other, life.contract.id, 1, 12, 3),
        lambda: add_amendment(other, life.contract.id, Decimal("10"), Ground.DE_MINIMIS, life.today),
        lambda: record_index_value(other, life.contract.id, "X", life.today, "1"),
        lambda: compute_revisions(other, life.contract.id),
    ):
        with pytest.raises(NotFound):
            action()


def test_the_coordinators_home_reminds_the_renewal_to_decide_before_its_deadline(life, make):
    from groupement.dashboard.coordinator_tasks import coordinator_tasks

    def reminders(actor):
        return [t for t in coordinator_tasks(actor, [], life.today) if t.kind == "renewals_to_decide"]

    assert reminders(life.coordinator) == []  # no renewal clause yet
    set_renewal_terms(life.coordinator, life.contract.id, 1, 12, 0)
    (task,) = reminders(life.coordinator)
    deadline = life.contract.execution_period.end  # notice 0: decide by the last day of the period
    assert task.label == "1 reconduction à décider" and task.due_on == deadline
    assert task.params == {"contract_id": life.contract.id} and life.contract.number in task.detail
    other = make.user(Role.COORDINATOR, make.coordinator(name="Autre EPCI", siren=make.valid_siren(998))).actor
    assert reminders(other) == []
    decide_renewal(life.coordinator, life.contract.id, 1, True, life.today)
    assert reminders(life.coordinator) == []


def test_a_renewed_contract_is_no_longer_announced_as_ending(life):
    from groupement.dashboard.coordinator_tasks import coordinator_tasks

    def ending():
        return [t for t in coordinator_tasks(life.coordinator, [], life.today) if t.kind == "contracts_ending"]

    assert len(ending()) == 1  # the first period ends within a month
    set_renewal_terms(life.coordinator, life.contract.id, 1, 12, 0)
    decide_renewal(life.coordinator, life.contract.id, 1, True, life.today)
    assert ending() == []


def test_the_formula_may_be_entered_again_until_a_revision_is_computed(life):
    _revise(life)
    base = life.start.replace(day=1)
    row = set_formula(life.coordinator, life.contract.id, Decimal("0.20"), [("ICHT-IME", Decimal("0.80"))], base, 6)
    assert [(t.index_code, t.weight) for t in row.terms] == [("ICHT-IME", Decimal("0.80"))]
    compute_revisions(life.coordinator, life.contract.id, life.today)
    with pytest.raises(ServiceError, match="ne se modifie plus"):
        set_formula(life.coordinator, life.contract.id, Decimal("0.15"), [("ICHT-IME", Decimal("0.85"))], base, 6)
