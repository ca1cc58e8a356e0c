from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from groupement.campaigns.campaigns import (
    change_campaign_status,
    close_expired_campaigns,
    create_campaign,
    reopen_submission,
)
from groupement.campaigns.grid import InvalidQuantities, NeedEntry, NeedsConflict, needs_grid, save_needs
from groupement.campaigns.models import Campaign, NeedLine, Submission
from groupement.campaigns.rules import CampaignStatus, SubmissionStatus
from groupement.campaigns.workflow import line_history, send_back_needs, submit_needs, validate_needs
from groupement.core.access import Role
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.timeutil import utcnow
from groupement.organisations.families import Family


@pytest.fixture
def setup(make, database):
    capi = make.coordinator()
    group = make.groupement(capi)
    a, b, small = make.organisation(name="A"), make.organisation(name="B"), make.organisation(name="Petite")
    make.membership(group, a)
    make.membership(group, b)
    make.membership(group, small, families=frozenset({Family.INFORMATIQUE, Family.FOURNITURES}))
    laptop = make.item(unit_price_ht=Decimal("849.00"))
    paper = make.item(ref="FOU-PAP", family=Family.FOURNITURES, cpv_code="30197630-1", unit_price_ht=Decimal("4.2000"))
    car = make.item(ref="VEH-CAR", family=Family.VEHICULES, cpv_code="34110000-1", unit_price_ht=Decimal("18500"))
    campaign = make.campaign(group, [laptop, paper, car])
    database.session.commit()
    users = {
        "agent_a": make.user(Role.AGENT, a),
        "agent_a2": make.user(Role.AGENT, a),
        "signatory_a": make.user(Role.SIGNATORY, a),
        "agent_b": make.user(Role.AGENT, b),
        "agent_small": make.user(Role.AGENT, small),
        "coordinator": make.user(Role.COORDINATOR, capi),
    }
    database.session.commit()
    return {
        "campaign": campaign,
        "group": group,
        "a": a,
        "b": b,
        "small": small,
        "laptop": laptop,
        "paper": paper,
        "car": car,
        **{k: u.actor for k, u in users.items()},
    }


def lines_of(database, commune) -> dict[int, int]:
    return dict(
        database.session.execute(
            select(NeedLine.item_id, NeedLine.quantity).join(Submission).where(Submission.commune_id == commune.id)
        ).all()
    )


def count(database, model) -> int:
    return database.session.scalar(select(func.count()).select_from(model))


def test_the_coordinator_creates_a_campaign_over_the_chosen_families_only(setup, database):
    now = utcnow()
    campaign = create_campaign(
        setup["coordinator"],
        setup["group"].id,
        "Recensement 2028",
        2028,
        [Family.FOURNITURES],
        now,
        now + timedelta(days=10),
        "Consignes",
    )
    assert [i.item.ref for i in campaign.items] == ["FOU-PAP"]
    assert campaign.status is CampaignStatus.DRAFT
    opened = change_campaign_status(setup["coordinator"], campaign.id, "open")
    assert opened.status is CampaignStatus.OPEN
    with pytest.raises(ServiceError, match="Impossible d'ouvrir"):
        change_campaign_status(setup["coordinator"], campaign.id, "open")
    actions = database.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "campaign").order_by(AuditEvent.id)
    ).all()
    assert actions == ["campaign.create", "campaign.open"]


def test_only_the_coordinator_of_the_groupement_creates_campaigns(setup, make, database):
    now = utcnow()
    with pytest.raises(Forbidden):
        create_campaign(setup["agent_a"], setup["group"].id, "x", 2028, [Family.FOURNITURES], now, now + timedelta(1))
    other = make.coordinator(name="Autre", siren="200066793", siret=None)
    stranger = make.user(Role.COORDINATOR, other).actor
    with pytest.raises(NotFound):
        create_campaign(stranger, setup["group"].id, "x", 2028, [Family.FOURNITURES], now, now + timedelta(1))
    with pytest.raises(ServiceError, match="clôture doit suivre"):
        create_campaign(setup["coordinator"], setup["group"].id, "x", 2028, [Family.FOURNITURES], now, now)


def test_an_agent_saves_quantities_that_are_versioned_and_audited(setup, database):
    campaign, laptop, paper = setup["campaign"], setup["laptop"], setup["paper"]
    changed = save_needs(
        setup["agent_a"], campaign.id, [NeedEntry(laptop.id, "12", "écoles"), NeedEntry(paper.id, "0")]
    )
    assert changed == 1 and lines_of(database, setup["a"]) == {laptop.id: 12}
    grid = needs_grid(setup["agent_a"], campaign.id)
    line = next(line for line in grid.lines if line.item.id == laptop.id)
    assert (line.quantity, line.comment, line.version) == (12, "écoles", 1)
    assert grid.total == Decimal("10188.00")
    save_needs(setup["agent_a"], campaign.id, [NeedEntry(laptop.id, "15", "écoles", version=1)])
    _, history = line_history(setup["agent_a"], campaign.id, laptop.id)
    assert [(h.before, h.after) for h in history] == [(12, 15), (None, 12)]
    assert grid.submission.status is SubmissionStatus.DRAFT


def test_invalid_quantities_are_all_reported_and_nothing_is_written(setup, database):
    campaign, laptop, paper = setup["campaign"], setup["laptop"], setup["paper"]
    events = count(database, AuditEvent)
    with pytest.raises(InvalidQuantities) as invalid:
        save_needs(setup["agent_a"], campaign.id, [NeedEntry(laptop.id, "-2"), NeedEntry(paper.id, "1,5")])
    assert set(invalid.value.errors) == {laptop.id, paper.id}
    assert "négative" in invalid.value.errors[laptop.id]
    assert lines_of(database, setup["a"]) == {} and count(database, AuditEvent) == events


def test_a_second_save_on_a_stale_version_is_a_conflict_showing_the_other_value(setup, database):
    campaign, laptop, paper = setup["campaign"], setup["laptop"], setup["paper"]
    save_needs(setup["agent_a"], campaign.id, [NeedEntry(laptop.id, "10")])
    save_needs(setup["agent_a2"], campaign.id, [NeedEntry(laptop.id, "20", version=1)])
    with pytest.raises(NeedsConflict) as conflict:
        save_needs(setup["agent_a"], campaign.id, [NeedEntry(laptop.id, "11", version=1), NeedEntry(paper.id, "5")])
    (seen,) = conflict.value.conflicts
    assert (seen.item_id, seen.their_quantity) == (laptop.id, 20)
    assert lines_of(database, setup["a"]) == {laptop.id: 20}  # the paper line was not written either
    # The same value typed by both is not a conflict.
    assert save_needs(setup["agent_a"], campaign.id, [NeedEntry(laptop.id, "20", version=1)]) == 0


def test_two_agents_creating_the_same_line_conflict_instead_of_overwriting(setup, database):
    campaign, laptop = setup["campaign"], setup["laptop"]
    save_needs(setup["agent_a"], campaign.id, [NeedEntry(laptop.id, "4", version=0)])
    with pytest.raises(NeedsConflict):
        save_needs(setup["agent_a2"], campaign.id, [NeedEntry(laptop.id, "7", version=0)])


def test_a_commune_cannot_enter_needs_for_a_family_it_did_not_join(setup, database):
    with pytest.raises(ServiceError, match="famille non couverte"):
        save_needs(setup["agent_small"], setup["campaign"].id, [NeedEntry(setup["car"].id, "1")])
    grid = needs_grid(setup["agent_small"], setup["campaign"].id)
    assert setup["car"].id not in {line.item.id for line in grid.lines}
    assert Family.VEHICULES not in grid.families


def test_after_the_deadline_entry_is_refused_until_the_coordinator_reopens(setup, database):
    campaign, laptop = setup["campaign"], setup["laptop"]
    save_needs(setup["agent_a"], campaign.id, [NeedEntry(laptop.id, "3")])
    late = campaign.closes_at + timedelta(minutes=1)
    with pytest.raises(ServiceError, match="date limite est passée"):
        save_needs(setup["agent_a"], campaign.id, [NeedEntry(laptop.id, "4", version=1)], now=late)
    with pytest.raises(ServiceError, match="motif"):
        reopen_submission(setup["coordinator"], campaign.id, setup["a"].id, " ", now=late)
    reopen_submission(setup["coordinator"], campaign.id, setup["a"].id, "Oubli des écoles", now=late)
    assert save_needs(setup["agent_a"], campaign.id, [NeedEntry(laptop.id, "4", version=1)], now=late) == 1
    submit_needs(setup["agent_a"], campaign.id, now=late)  # submitting ends the reopening
    with pytest.raises(ServiceError, match="date limite"):
        save_needs(setup["agent_a"], campaign.id, [NeedEntry(laptop.id, "5", version=2)], now=late)
    event = database.session.scalars(select(AuditEvent).where(AuditEvent.action == "submission.reopen")).one()
    assert event.after["reason"] == "Oubli des écoles"


def test_submit_send_back_resubmit_and_validate(setup, database):
    campaign, laptop = setup["campaign"], setup["laptop"]
    with pytest.raises(ServiceError, match="Aucun besoin"):
        submit_needs(setup["agent_a"], campaign.id)
    save_needs(setup["agent_a"], campaign.id, [NeedEntry(laptop.id, "2")])
    with pytest.raises(ServiceError, match="Seul un agent"):
        submit_needs(setup["signatory_a"], campaign.id)
    submit_needs(setup["agent_a"], campaign.id)
    with pytest.raises(ServiceError, match="Seul le signataire"):
        validate_needs(setup["agent_a"], campaign.id)
    back = send_back_needs(setup["signatory_a"], campaign.id, "Ajoutez les écrans")
    assert (back.status, back.comment) == (SubmissionStatus.DRAFT, "Ajoutez les écrans")
    submit_needs(setup["agent_a"], campaign.id)
    validated = validate_needs(setup["signatory_a"], campaign.id)
    assert validated.status is SubmissionStatus.VALIDATED and validated.validated_at is not None
    with pytest.raises(Forbidden):
        validate_needs(setup["coordinator"], campaign.id)


def test_commune_users_reach_only_campaigns_of_their_groupements_and_their_own_grid(setup, make, database):
    outsider = make.organisation(name="Hors groupement")
    agent = make.user(Role.AGENT, outsider).actor
    with pytest.raises(NotFound):
        needs_grid(agent, setup["campaign"].id)
    save_needs(setup["agent_a"], setup["campaign"].id, [NeedEntry(setup["laptop"].id, "9")])
    grid_b = needs_grid(setup["agent_b"], setup["campaign"].id, commune_id=setup["a"].id)
    assert grid_b.commune.id == setup["b"].id and grid_b.total == 0
    draft = make.campaign(setup["group"], [setup["laptop"]], status=CampaignStatus.DRAFT, year=2029)
    with pytest.raises(NotFound):
        needs_grid(setup["agent_a"], draft.id)
    assert needs_grid(setup["coordinator"], setup["campaign"].id, setup["a"].id).total == Decimal("7641.00")


def test_the_grid_shows_last_campaigns_quantities(setup, make, database):
    previous = make.campaign(
        setup["group"],
        [setup["laptop"]],
        year=2026,
        status=CampaignStatus.ARCHIVED,
        opens_at=datetime(2025, 11, 1),
        closes_at=datetime(2026, 1, 15),
    )
    make.submission(previous, setup["a"], {setup["laptop"]: 17}, status=SubmissionStatus.VALIDATED)
    database.session.commit()
    grid = needs_grid(setup["agent_a"], setup["campaign"].id)
    assert {line.item.ref: line.previous_quantity for line in grid.lines}[setup["laptop"].ref] == 17


def test_expired_campaigns_are_closed_by_the_cron_task(setup, make, database):
    expired = make.campaign(
        setup["group"], [setup["laptop"]], year=2026, opens_at=datetime(2025, 1, 1), closes_at=datetime(2025, 2, 1)
    )
    database.session.commit()
    closed = close_expired_campaigns()
    assert [c.id for c in closed] == [expired.id]
    assert database.session.get(Campaign, setup["campaign"].id).status is CampaignStatus.OPEN


def test_a_commune_that_left_the_groupement_before_the_campaign_takes_no_part(setup, database):
    from groupement.campaigns.board import campaign_board
    from groupement.campaigns.participation import participating_communes
    from groupement.organisations.models import Membership

    membership = database.session.scalar(select(Membership).where(Membership.commune_id == setup["b"].id))
    membership.left_on = setup["campaign"].opens_at.date()
    database.session.commit()
    with pytest.raises(NotFound):
        needs_grid(setup["agent_b"], setup["campaign"].id)
    assert "B" not in [c.name for c in participating_communes(setup["campaign"])]
    board = campaign_board(setup["coordinator"], setup["campaign"].id)
    assert "B" not in [row.commune_name for row in board.rows]
