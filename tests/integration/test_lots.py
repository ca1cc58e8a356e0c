from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from groupement.campaigns.models import Campaign, NeedLine
from groupement.campaigns.rules import CampaignStatus, SubmissionStatus
from groupement.core.access import Role, system_actor
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import Forbidden, ServiceError
from groupement.core.timeutil import utcnow
from groupement.lots.campaign_aggregation import aggregate_campaign
from groupement.lots.edits import exclude_line, merge_lots, move_lines, publish_lot, rename_lot, set_lot_parameters
from groupement.lots.models import Lot, LotLine, LotLineShare
from groupement.lots.procedures import Procedure
from groupement.lots.queries import campaign_lots, lot_detail
from groupement.lots.rules import LotStatus
from groupement.organisations.families import Family


@pytest.fixture
def closed(make, database):
    """A closed campaign: A validated, B validated, C only submitted (not counted)."""
    capi = make.coordinator()
    group = make.groupement(capi)
    communes = [make.organisation(name=n) for n in ("A", "B", "C")]
    for commune in communes:
        make.membership(group, commune)
    laptop = make.item(ref="INF-PORT", unit_price_ht=Decimal("849.00"), eco_participation=Decimal("1.50"))
    printer = make.item(
        ref="INF-IMP", cpv_code="30232110-8", unit_price_ht=Decimal("310.00"), eco_participation=Decimal("0")
    )
    paper = make.item(
        ref="FOU-PAP",
        family=Family.FOURNITURES,
        cpv_code="30197630-1",
        unit_price_ht=Decimal("4.2000"),
        eco_participation=Decimal("0"),
        account="6064",
    )
    now = utcnow()
    campaign = make.campaign(
        group, [laptop, printer, paper], opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=1)
    )
    a, b, c = communes
    make.submission(campaign, a, {laptop: 10, paper: 100}, status=SubmissionStatus.VALIDATED)
    make.submission(campaign, b, {laptop: 5, printer: 2}, status=SubmissionStatus.VALIDATED)
    make.submission(campaign, c, {laptop: 99}, status=SubmissionStatus.SUBMITTED)
    coordinator = make.user(Role.COORDINATOR, capi)
    database.session.commit()
    return {
        "campaign": campaign,
        "a": a,
        "b": b,
        "c": c,
        "laptop": laptop,
        "printer": printer,
        "paper": paper,
        "coordinator": coordinator.actor,
        "agent": make.user(Role.AGENT, a).actor,
    }


def lots_by_title(database, campaign_id):
    lots = database.session.scalars(select(Lot).where(Lot.campaign_id == campaign_id).order_by(Lot.number)).all()
    return {lot.title: {line.ref: line.total_quantity for line in lot.lines} for lot in lots}


def test_aggregation_sums_only_validated_needs_into_lots_by_family_and_cpv_group(closed, database):
    report = aggregate_campaign(closed["coordinator"], closed["campaign"].id)
    assert (report.lots, report.lines, report.shares, report.communes) == (3, 3, 4, 2)
    assert lots_by_title(database, closed["campaign"].id) == {
        "Postes de travail, écrans et accessoires": {"INF-PORT": 15},
        "Impression et numérisation": {"INF-IMP": 2},
        "Papier et enveloppes": {"FOU-PAP": 100},
    }
    shares = database.session.execute(
        select(LotLine.ref, LotLineShare.commune_id, LotLineShare.quantity)
        .join(LotLine)
        .order_by(LotLine.ref, LotLineShare.commune_id)
    ).all()
    assert [(ref, qty) for ref, _, qty in shares] == [
        ("FOU-PAP", 100),
        ("INF-IMP", 2),
        ("INF-PORT", 10),
        ("INF-PORT", 5),
    ]
    assert database.session.get(Campaign, closed["campaign"].id).status is CampaignStatus.AGGREGATED


def test_aggregation_is_refused_while_the_campaign_is_open_and_for_other_roles(closed, make, database):
    with pytest.raises(Forbidden):
        aggregate_campaign(closed["agent"], closed["campaign"].id)
    group = database.session.get(Campaign, closed["campaign"].id).groupement
    still_open = make.campaign(group, [closed["laptop"]], year=2030)
    database.session.commit()
    with pytest.raises(ServiceError, match="encore ouverte"):
        aggregate_campaign(closed["coordinator"], still_open.id)


def test_the_overview_gives_amounts_and_procedure_advice_per_lot(closed, database):
    aggregate_campaign(closed["coordinator"], closed["campaign"].id)
    overview = campaign_lots(closed["coordinator"], closed["campaign"].id, today=date(2026, 11, 28))
    laptops = overview.lots[0]
    assert laptops.amounts.yearly_estimate == Decimal("12757.50")  # 15 × (849 + 1,50)
    assert laptops.amounts.duration_estimate == Decimal("51030.00")  # over 48 months
    assert laptops.maximum == Decimal("61236")  # + 20 %, rounded up to the euro
    assert laptops.advice.procedure in set(Procedure)
    assert laptops.advice.decp_due is True
    assert overview.lots[2].advice.decp_due is False  # paper: 100 × 4,20 over 4 years + 20 %


def test_moving_splitting_merging_and_excluding_keep_lots_numbered_and_audited(closed, database):
    coordinator, campaign_id = closed["coordinator"], closed["campaign"].id
    aggregate_campaign(coordinator, campaign_id)
    lots = database.session.scalars(select(Lot).where(Lot.campaign_id == campaign_id).order_by(Lot.number)).all()
    workstations, printing, paper = lots
    printer_line = printing.lines[0]
    move_lines(coordinator, campaign_id, [printer_line.id], target_lot_id=workstations.id)
    assert lots_by_title(database, campaign_id) == {
        "Postes de travail, écrans et accessoires": {"INF-PORT": 15, "INF-IMP": 2},
        "Papier et enveloppes": {"FOU-PAP": 100},
    }
    assert [lot.number for lot in database.session.scalars(select(Lot).order_by(Lot.number))] == [1, 2]
    with pytest.raises(ServiceError, match="famille"):
        move_lines(coordinator, campaign_id, [paper.lines[0].id], target_lot_id=workstations.id)
    split = move_lines(coordinator, campaign_id, [printer_line.id], new_title="Imprimantes")
    assert split.number == 3
    merge_lots(coordinator, campaign_id, split.id, workstations.id)
    rename_lot(coordinator, workstations.id, "Matériel informatique")
    exclude_line(coordinator, printer_line.id, "Besoin couvert par le marché de location")
    overview = campaign_lots(coordinator, campaign_id)
    assert [v.lot.title for v in overview.lots] == ["Matériel informatique", "Papier et enveloppes"]
    assert [line.ref for line in overview.lots[0].counted_lines] == ["INF-PORT"]
    actions = set(database.session.scalars(select(AuditEvent.action)))
    assert {"lot_line.move", "lot.delete", "lot.renumber", "lot.rename", "lot_line.exclude"} <= actions


def test_a_published_lot_is_frozen_against_needs_changes_and_edits(closed, database):
    coordinator, campaign_id = closed["coordinator"], closed["campaign"].id
    aggregate_campaign(coordinator, campaign_id)
    lot = database.session.scalars(select(Lot).where(Lot.campaign_id == campaign_id).order_by(Lot.number)).first()
    set_lot_parameters(coordinator, lot.id, 36, Decimal("10"), None, date(2027, 2, 1))
    published = publish_lot(coordinator, lot.id)
    assert published.status is LotStatus.PUBLISHED
    assert published.maximum_amount == Decimal("42100")  # 12 757,50 × 3 years × 1,10 = 42 099,75, rounded up
    database.session.execute(NeedLine.__table__.update().values(quantity=NeedLine.quantity + 1000))
    database.session.commit()
    with pytest.raises(ServiceError, match="publiés"):
        aggregate_campaign(coordinator, campaign_id)
    detail = lot_detail(coordinator, lot.id)
    assert {row.name: row.quantity for row in detail.communes} == {"A": 10, "B": 5}
    assert lots_by_title(database, campaign_id)["Postes de travail, écrans et accessoires"] == {"INF-PORT": 15}
    with pytest.raises(ServiceError, match="publié"):
        rename_lot(coordinator, lot.id, "Autre")
    assert database.session.scalar(select(func.count()).select_from(LotLineShare)) == 4


def test_reaggregating_replaces_draft_lots(closed, database):
    coordinator, campaign_id = closed["coordinator"], closed["campaign"].id
    aggregate_campaign(coordinator, campaign_id)
    first_keys = set(database.session.scalars(select(LotLine.line_key)))
    report = aggregate_campaign(coordinator, campaign_id)
    assert report.lots == 3 and set(database.session.scalars(select(LotLine.line_key))) == first_keys
    assert database.session.scalar(select(func.count()).select_from(Lot)) == 3


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_set_based_aggregation_agrees_with_the_pure_reference_on_random_needs(make, database, seed):
    """lots.campaign_aggregation sums with GROUP BY and INSERT ... SELECT; lots.aggregation.aggregate is the
    specification: on random needs (zeros, drafts, communes without needs) both give the same lines."""
    import random

    from groupement.lots.aggregation import NeedRow, aggregate

    rng = random.Random(seed)
    capi = make.coordinator()
    group = make.groupement(capi)
    communes = [make.organisation(name=f"Commune {n}") for n in range(8)]
    for commune in communes:
        make.membership(group, commune)
    items = [make.item(ref=f"INF-{n:03d}") for n in range(12)]
    now = utcnow()
    campaign = make.campaign(group, items, opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=1))
    reference = []
    for commune in communes:
        quantities = {item: rng.choice([0, 0, 1, 3, 250]) for item in items if rng.random() < 0.6}
        status = rng.choice([SubmissionStatus.VALIDATED, SubmissionStatus.VALIDATED, SubmissionStatus.DRAFT])
        make.submission(campaign, commune, quantities, status=status)
        if status is SubmissionStatus.VALIDATED:
            reference += [NeedRow(commune.id, item.id, quantity) for item, quantity in quantities.items()]
    database.session.commit()

    expected = aggregate(reference)
    report = aggregate_campaign(system_actor(campaign.groupement.coordinator_id), campaign.id)

    shares = database.session.execute(
        select(LotLine.item_id, LotLine.total_quantity, LotLineShare.commune_id, LotLineShare.quantity)
        .join(LotLineShare)
        .where(LotLine.campaign_id == campaign.id)
        .order_by(LotLine.item_id, LotLineShare.commune_id)
    ).all()
    got: dict[int, tuple[int, list]] = {}
    for item_id, total, commune_id, quantity in shares:
        got.setdefault(item_id, (total, []))[1].append((commune_id, quantity))
    assert got == {line.item_id: (line.total_quantity, list(line.shares)) for line in expected}
    assert (report.lines, report.shares) == (len(expected), sum(len(line.shares) for line in expected))
    assert report.communes == len({commune for line in expected for commune, _ in line.shares})


def test_the_database_refuses_a_second_line_for_the_same_item_in_the_same_campaign(closed, database):
    from sqlalchemy.exc import IntegrityError

    from groupement.core import transaction

    aggregate_campaign(closed["coordinator"], closed["campaign"].id)
    line = database.session.scalar(select(LotLine).where(LotLine.ref == "INF-PORT"))
    copy = {
        column: getattr(line, column)
        for column in LotLine.__table__.columns.keys()
        if column not in ("id", "line_key", "position")
    }
    with pytest.raises(IntegrityError, match="(?i)unique"), transaction.savepoint():
        database.session.add(LotLine(**copy, line_key="C-copy", position=99))
    assert database.session.scalar(select(func.count()).select_from(LotLine).where(LotLine.ref == "INF-PORT")) == 1


def test_the_database_refuses_a_ccag_outside_the_list(closed, database):
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from groupement.core import transaction
    from groupement.lots.rules import Ccag

    aggregate_campaign(closed["coordinator"], closed["campaign"].id)
    lot = database.session.scalars(select(Lot).where(Lot.campaign_id == closed["campaign"].id)).first()
    assert lot.ccag is Ccag.FOURNITURES_COURANTES_SERVICES
    with pytest.raises(IntegrityError), transaction.savepoint():
        database.session.execute(text("UPDATE lot SET ccag = 'CCAG-FCS' WHERE id = :id"), {"id": lot.id})
