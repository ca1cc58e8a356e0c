"""Awarding a published lot: to the best ranked offer, to another with a justification, or
unsuccessful; the framework contract it creates, its prices, its number, the audit trail."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from groupement.campaigns.models import Campaign
from groupement.campaigns.rules import SubmissionStatus
from groupement.catalog.models import CatalogItem
from groupement.contracts.award_queries import award_page, contract_detail, list_contracts
from groupement.contracts.awards import award_lot, declare_unsuccessful
from groupement.contracts.models import Award, Contract, ContractPrice
from groupement.contracts.rejections import record_rejections_sent
from groupement.contracts.rules import AwardDecision
from groupement.core.access import Actor, Role, system_actor
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.timeutil import paris_today, utcnow
from groupement.lots.campaign_aggregation import aggregate_campaign
from groupement.lots.edits import publish_lot, set_lot_parameters
from groupement.lots.models import Lot, LotLine
from groupement.lots.rules import LotStatus
from groupement.organisations.families import Family
from groupement.organisations.models import Organisation
from groupement.tenders.models import AwardCriteria, Offer

NOTIFIED = date(2027, 2, 15)
_builds = itertools.count(1)
START = date(2027, 3, 1)


@dataclass
class Tender:
    campaign: Campaign
    lot: Lot
    commune_a: Organisation
    commune_b: Organisation
    laptop: CatalogItem
    screen: CatalogItem
    coordinator: Actor
    accountant: Actor
    agent: Actor
    cheap: Offer  # the lowest price, the best scores: ranked first whatever the weights
    dear: Offer

    def line(self, item: CatalogItem) -> LotLine:
        return next(line for line in self.lot.lines if line.item_id == item.id)


def build_tender(
    make,
    database,
    *,
    publish: bool = True,
    maximum: Decimal | None = None,
    opens_days_ago: int = 40,
    group=None,
    capi=None,
    communes=None,
    extra_communes: int = 0,
) -> Tender:
    """Communes A (4 laptops, 6 screens) and B (6 laptops); one lot "Postes de travail", published
    unless told otherwise, with two scored offers (criteria 60/30/10)."""
    tag = next(_builds)
    if capi is None:
        capi = make.coordinator(name=f"Coordonnateur {tag}", siren=make.valid_siren(900 + tag))
        group = make.groupement(capi)
    if communes is None:
        communes = (make.organisation(name=f"Commune A{tag}"), make.organisation(name=f"Commune B{tag}"))
        for commune in communes:
            make.membership(group, commune)
    commune_a, commune_b = communes
    laptop = make.item(ref=f"INF-PORT-{tag}", unit_price_ht=Decimal("849.00"), eco_participation=Decimal("1.00"))
    screen = make.item(
        ref=f"INF-ECRAN-{tag}",
        cpv_code="30231300-0",
        unit_price_ht=Decimal("129.00"),
        eco_participation=Decimal("0.50"),
    )
    now = utcnow()
    campaign = make.campaign(
        group,
        [laptop, screen],
        opens_at=now - timedelta(days=opens_days_ago),
        closes_at=now - timedelta(days=opens_days_ago - 30),
    )
    make.submission(campaign, commune_a, {laptop: 4, screen: 6}, status=SubmissionStatus.VALIDATED)
    make.submission(campaign, commune_b, {laptop: 6}, status=SubmissionStatus.VALIDATED)
    for n in range(extra_communes):  # more communes, more shares: the same number of queries
        extra = make.organisation(name=f"Commune {tag}-{n}")
        make.membership(group, extra)
        make.submission(campaign, extra, {laptop: 1 + n, screen: 2}, status=SubmissionStatus.VALIDATED)
    users = [make.user(role, capi) for role in (Role.COORDINATOR, Role.ACCOUNTANT)]
    agent = make.user(Role.AGENT, commune_a)
    database.session.commit()
    coordinator = users[0].actor
    aggregate_campaign(system_actor(campaign.groupement.coordinator_id), campaign.id)
    lot = database.session.scalars(select(Lot).where(Lot.campaign_id == campaign.id)).one()
    if maximum is not None:
        set_lot_parameters(coordinator, lot.id, lot.duration_months, lot.margin_percent, maximum, None)
    if publish:
        publish_lot(coordinator, lot.id)
    lines = {line.item_id: line for line in lot.lines}
    database.session.add(
        AwardCriteria(
            lot_id=lot.id, price_weight=Decimal(60), technical_weight=Decimal(30), environmental_weight=Decimal(10)
        )
    )
    cheap = make.offer(
        lot,
        make.supplier(name="Bureautique des Alpes"),
        prices={lines[laptop.id]: Decimal("764.10"), lines[screen.id]: Decimal("110.00")},
        technical_score=Decimal("25"),
        environmental_score=Decimal("8"),
    )
    dear = make.offer(
        lot,
        make.supplier(name="Informatique du Rhône"),
        prices={lines[laptop.id]: Decimal("800.00"), lines[screen.id]: Decimal("120.00")},
        technical_score=Decimal("20"),
        environmental_score=Decimal("6"),
    )
    database.session.commit()
    return Tender(
        campaign, lot, commune_a, commune_b, laptop, screen, coordinator, users[1].actor, agent.actor, cheap, dear
    )


@pytest.fixture
def tender(make, database) -> Tender:
    return build_tender(make, database)


def nothing_written(database, lot: Lot) -> bool:
    database.session.rollback()
    return (
        database.session.scalar(select(func.count()).select_from(Award)) == 0
        and database.session.scalar(select(func.count()).select_from(Contract)) == 0
        and database.session.get(Lot, lot.id).status is LotStatus.PUBLISHED
    )


# --- award to the best ranked offer ------------------------------------------------------------


def test_the_coordinator_awards_a_lot_to_the_best_ranked_offer_and_the_contract_follows(tender, database):
    contract = award_lot(tender.coordinator, tender.lot.id, tender.cheap.id, "", START, NOTIFIED)

    assert tender.lot.status is LotStatus.AWARDED
    award = contract.award
    assert (award.decision, award.offer_id, award.justification) == (AwardDecision.AWARDED, tender.cheap.id, "")
    assert award.decided_by_id == tender.coordinator.user_id
    assert contract.number == f"2027-{tender.campaign.id}-L01"
    assert len(contract.number) <= 16
    assert contract.supplier_id == tender.cheap.supplier_id
    assert contract.maximum_amount == tender.lot.maximum_amount
    assert (contract.start_date, contract.notified_on) == (START, NOTIFIED)
    assert contract.duration_months == tender.lot.duration_months == 48
    # 10 laptops + 6 screens ≈ 9 000 € a year, about 43 000 € over four years: no competition needed.
    assert contract.procedure == "Marché passé sans publicité ni mise en concurrence préalable"
    assert contract.offers_received == 2
    assert (contract.origin_eu_percent, contract.origin_france_percent) == (None, None)


def test_the_contract_prices_are_the_offer_lines_with_the_items_and_vat_of_the_lot(tender, database):
    contract = award_lot(tender.coordinator, tender.lot.id, tender.cheap.id, "", START, NOTIFIED)
    prices = {
        price.item_id: (price.lot_line_id, price.unit_price, price.eco_participation, price.vat_rate)
        for price in database.session.scalars(select(ContractPrice).where(ContractPrice.contract_id == contract.id))
    }
    assert prices == {
        tender.laptop.id: (tender.line(tender.laptop).id, Decimal("764.10"), Decimal("1.00"), Decimal("20.00")),
        tender.screen.id: (tender.line(tender.screen).id, Decimal("110.00"), Decimal("0.50"), Decimal("20.00")),
    }


def test_the_award_and_the_contract_are_audited(tender, database):
    contract = award_lot(tender.coordinator, tender.lot.id, tender.cheap.id, "", START, NOTIFIED)
    events = {
        event.action: event
        for event in database.session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(["award.create", "contract.create"]))
        )
    }
    assert set(events) == {"award.create", "contract.create"}
    assert events["award.create"].object_id == str(contract.award_id)
    assert events["award.create"].actor_id == tender.coordinator.user_id
    assert events["award.create"].before == {"lot_status": "published"}
    assert events["award.create"].after["offer"] == tender.cheap.id
    assert events["award.create"].after["best_ranked_offer"] == tender.cheap.id
    assert events["contract.create"].object_id == str(contract.id)
    assert events["contract.create"].after["number"] == contract.number
    assert events["contract.create"].after["maximum_amount"] == str(tender.lot.maximum_amount)
    assert events["contract.create"].after["prices"] == 2


def test_a_large_lot_is_recorded_as_an_open_call_for_tenders(make, database):
    tender = build_tender(make, database, maximum=Decimal("300000"))
    record_rejections_sent(tender.coordinator, tender.lot.id, tender.cheap.id, sent_on=paris_today())
    contract = award_lot(tender.coordinator, tender.lot.id, tender.cheap.id, "", START, NOTIFIED)
    assert contract.maximum_amount == Decimal("300000.00")
    assert contract.procedure == "Appel d'offres ouvert"


def test_the_coordinator_may_choose_the_contract_number(tender, database):
    contract = award_lot(tender.coordinator, tender.lot.id, tender.cheap.id, "", START, NOTIFIED, number="AC-2027_01")
    assert contract.number == "AC-2027_01"


@pytest.mark.parametrize(
    ("number", "reason"),
    [("AC-2027-POSTES-001", "16 caractères au plus"), ("AC 2027", "16 caractères au plus"), ("N°12", "Numéro")],
)
def test_a_contract_number_too_long_or_with_other_characters_is_refused(tender, database, number, reason):
    with pytest.raises(ServiceError, match=reason):
        award_lot(tender.coordinator, tender.lot.id, tender.cheap.id, "", START, NOTIFIED, number=number)
    assert nothing_written(database, tender.lot)


def test_a_contract_number_already_used_is_refused(make, database, tender):
    other = build_tender(make, database)
    award_lot(other.coordinator, other.lot.id, other.cheap.id, "", START, NOTIFIED, number="AC-2027-01")
    with pytest.raises(ServiceError, match="déjà utilisé"):
        award_lot(tender.coordinator, tender.lot.id, tender.cheap.id, "", START, NOTIFIED, number="AC-2027-01")


# --- another offer, the justification ---------------------------------------------------------------


def test_another_offer_than_the_best_ranked_needs_a_justification(tender, database):
    with pytest.raises(ServiceError, match="la justification du choix est obligatoire"):
        award_lot(tender.coordinator, tender.lot.id, tender.dear.id, "  ", START, NOTIFIED)
    assert nothing_written(database, tender.lot)


def test_another_offer_is_awarded_with_its_justification_kept_and_audited(tender, database):
    reason = "L'offre classée première ne respecte pas le délai de livraison exigé au CCTP."
    contract = award_lot(tender.coordinator, tender.lot.id, tender.dear.id, reason, START, NOTIFIED)
    assert contract.supplier_id == tender.dear.supplier_id
    assert contract.award.justification == reason
    assert {p.unit_price for p in contract.prices} == {Decimal("800.00"), Decimal("120.00")}
    event = database.session.scalar(select(AuditEvent).where(AuditEvent.action == "award.create"))
    assert event.after["justification"] == reason
    assert event.after["best_ranked_offer"] == tender.cheap.id


def test_the_award_waits_for_every_offer_to_be_scored(tender, database):
    tender.dear.environmental_score = None
    database.session.commit()
    with pytest.raises(ServiceError, match="La notation n'est pas terminée"):
        award_lot(tender.coordinator, tender.lot.id, tender.cheap.id, "", START, NOTIFIED)
    assert nothing_written(database, tender.lot)


def test_the_award_waits_for_the_award_criteria(tender, database):
    database.session.delete(database.session.scalar(select(AwardCriteria)))
    database.session.commit()
    with pytest.raises(ServiceError, match="critères d'attribution du lot ne sont pas fixés"):
        award_lot(tender.coordinator, tender.lot.id, tender.cheap.id, "", START, NOTIFIED)
    assert nothing_written(database, tender.lot)


def test_an_offer_that_leaves_a_line_unpriced_cannot_be_awarded(make, tender, database):
    partial = make.offer(
        tender.lot,
        make.supplier(name="Écrans seulement"),
        prices={tender.line(tender.screen): Decimal("100.00")},
        technical_score=Decimal("10"),
        environmental_score=Decimal("5"),
    )
    database.session.commit()
    with pytest.raises(ServiceError, match="ne chiffre pas toutes les lignes du lot"):
        award_lot(tender.coordinator, tender.lot.id, partial.id, "Seule offre conforme.", START, NOTIFIED)
    assert nothing_written(database, tender.lot)


def test_an_offer_of_another_lot_is_refused(make, database, tender):
    other = build_tender(make, database)
    with pytest.raises(ServiceError, match="Choisissez une offre de ce lot"):
        award_lot(tender.coordinator, tender.lot.id, other.cheap.id, "", START, NOTIFIED)


def test_the_dates_are_required_and_execution_does_not_start_before_notification(tender, database):
    with pytest.raises(ServiceError, match="obligatoires"):
        award_lot(tender.coordinator, tender.lot.id, tender.cheap.id, "", None, NOTIFIED)
    with pytest.raises(ServiceError, match="avant la notification"):
        award_lot(tender.coordinator, tender.lot.id, tender.cheap.id, "", NOTIFIED - timedelta(days=1), NOTIFIED)
    assert nothing_written(database, tender.lot)


# --- the lot's state ------------------------------------------------------------------------------


def test_a_draft_lot_cannot_be_awarded_nor_declared_unsuccessful(make, database):
    tender = build_tender(make, database, publish=False)
    with pytest.raises(ServiceError, match="en préparation : publiez-le"):
        award_lot(tender.coordinator, tender.lot.id, tender.cheap.id, "", START, NOTIFIED)
    with pytest.raises(ServiceError, match="en préparation : publiez-le"):
        declare_unsuccessful(tender.coordinator, tender.lot.id, "Aucune offre.")
    database.session.rollback()
    assert database.session.scalar(select(func.count()).select_from(Award)) == 0


def test_a_lot_is_decided_only_once(tender, database):
    award_lot(tender.coordinator, tender.lot.id, tender.cheap.id, "", START, NOTIFIED)
    with pytest.raises(ServiceError, match="déjà attribué"):
        award_lot(tender.coordinator, tender.lot.id, tender.dear.id, "Changement d'avis.", START, NOTIFIED)
    with pytest.raises(ServiceError, match="déjà attribué"):
        declare_unsuccessful(tender.coordinator, tender.lot.id, "Changement d'avis.")


# --- unsuccessful -----------------------------------------------------------------------------------


def test_a_lot_declared_unsuccessful_has_its_reason_and_no_contract(tender, database):
    reason = "Toutes les offres dépassent le budget de plus de 30 %."
    award = declare_unsuccessful(tender.coordinator, tender.lot.id, f"  {reason} ")
    assert (award.decision, award.offer_id, award.justification) == (AwardDecision.UNSUCCESSFUL, None, reason)
    assert database.session.get(Lot, tender.lot.id).status is LotStatus.UNSUCCESSFUL
    assert database.session.scalar(select(func.count()).select_from(Contract)) == 0
    event = database.session.scalar(select(AuditEvent).where(AuditEvent.action == "award.create"))
    assert event.after["decision"] == "unsuccessful"
    assert event.after["justification"] == reason


def test_an_unsuccessful_lot_needs_a_reason(tender, database):
    with pytest.raises(ServiceError, match="Le motif de l'infructuosité est obligatoire"):
        declare_unsuccessful(tender.coordinator, tender.lot.id, " ")
    assert nothing_written(database, tender.lot)


# --- vehicles -----------------------------------------------------------------------------------------


@pytest.fixture
def vehicles(make, database):
    capi = make.coordinator()
    group = make.groupement(capi)
    commune = make.organisation()
    make.membership(group, commune)
    van = make.item(
        ref="VEH-VU-1",
        designation="Fourgon électrique",
        family=Family.VEHICULES,
        cpv_code="34136000-9",
        unit_price_ht=Decimal("32000.00"),
        eco_participation=Decimal("0"),
        account="2182",
    )
    now = utcnow()
    campaign = make.campaign(group, [van], opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=10))
    make.submission(campaign, commune, {van: 2}, status=SubmissionStatus.VALIDATED)
    coordinator = make.user(Role.COORDINATOR, capi).actor
    database.session.commit()
    aggregate_campaign(system_actor(campaign.groupement.coordinator_id), campaign.id)
    lot = database.session.scalars(select(Lot).where(Lot.campaign_id == campaign.id)).one()
    publish_lot(coordinator, lot.id)
    database.session.add(
        AwardCriteria(
            lot_id=lot.id, price_weight=Decimal(50), technical_weight=Decimal(30), environmental_weight=Decimal(20)
        )
    )
    offer = make.offer(lot, make.supplier(), technical_score=Decimal("15"), environmental_score=Decimal("15"))
    database.session.commit()
    return coordinator, lot, offer


def test_a_vehicles_contract_records_the_shares_of_eu_and_french_origin(vehicles, database):
    coordinator, lot, offer = vehicles
    with pytest.raises(ServiceError, match="part d'origine UE et la part d'origine France"):
        award_lot(coordinator, lot.id, offer.id, "", START, NOTIFIED)
    with pytest.raises(ServiceError, match="ne peut pas dépasser la part d'origine UE"):
        award_lot(
            coordinator,
            lot.id,
            offer.id,
            "",
            START,
            NOTIFIED,
            origin_eu_percent=Decimal("40"),
            origin_france_percent=Decimal("60"),
        )
    with pytest.raises(ServiceError, match="entre 0 et 100"):
        award_lot(
            coordinator,
            lot.id,
            offer.id,
            "",
            START,
            NOTIFIED,
            origin_eu_percent=Decimal("140"),
            origin_france_percent=Decimal("60"),
        )
    contract = award_lot(
        coordinator,
        lot.id,
        offer.id,
        "",
        START,
        NOTIFIED,
        origin_eu_percent=Decimal("85.5"),
        origin_france_percent=Decimal("40"),
    )
    assert (contract.origin_eu_percent, contract.origin_france_percent) == (Decimal("85.50"), Decimal("40.00"))


# --- access ---------------------------------------------------------------------------------------------


def test_only_the_coordinator_decides(tender, database):
    for actor in (tender.accountant, tender.agent):
        with pytest.raises(Forbidden):
            award_lot(actor, tender.lot.id, tender.cheap.id, "", START, NOTIFIED)
        with pytest.raises(Forbidden):
            declare_unsuccessful(actor, tender.lot.id, "Aucune offre acceptable.")
    assert nothing_written(database, tender.lot)


def test_the_coordinator_of_another_groupement_does_not_find_the_lot(make, database, tender):
    stranger = make.user(Role.COORDINATOR, make.coordinator(name="Autre EPCI", siren=make.valid_siren(999))).actor
    database.session.commit()
    with pytest.raises(NotFound):
        award_lot(stranger, tender.lot.id, tender.cheap.id, "", START, NOTIFIED)
    with pytest.raises(NotFound):
        award_page(stranger, tender.lot.id)


def test_the_award_page_ranks_the_offers_and_proposes_the_default_number(tender, database):
    page = award_page(tender.accountant, tender.lot.id)
    assert [row.offer_id for row in page.ranking] == [tender.cheap.id, tender.dear.id]
    assert page.best_offer_id == tender.cheap.id
    assert page.decidable and not page.incomplete and not page.needs_origins
    assert page.default_number == f"2027-{tender.campaign.id}-L01"
    with pytest.raises(Forbidden):
        award_page(tender.agent, tender.lot.id)


def test_contracts_are_listed_and_shown_within_scope(make, database, tender):
    contract = award_lot(tender.coordinator, tender.lot.id, tender.cheap.id, "", START, NOTIFIED)
    assert [c.id for c in list_contracts(tender.coordinator)] == [contract.id]
    assert [c.id for c in list_contracts(tender.agent)] == [contract.id]  # a member commune orders under it
    detail = contract_detail(tender.agent, contract.id)
    assert [price.item_id for price in detail.prices] == [tender.screen.id, tender.laptop.id]  # in line order
    outsider = make.organisation(name="Commune hors groupement")
    stranger = make.user(Role.AGENT, outsider).actor
    database.session.commit()
    assert list_contracts(stranger) == []
    with pytest.raises(NotFound):
        contract_detail(stranger, contract.id)
