"""Compare-and-set writes of the needs grid (issue 13, item 2), on SQLite and PostgreSQL.

Fifty agents save one cell at once, each in its own thread, app context, session and unit of
work (as fifty requests): exactly one is applied, the forty-nine others are told who changed
the line, and the audit trail holds one event per accepted change. Unlike
test_concurrency.py these run on SQLite too (the default database): writers there queue on
BEGIN IMMEDIATE (core/transaction.py) and the UPDATE names the version it read."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from groupement.campaigns.grid import Conflict, NeedEntry, NeedsConflict, needs_grid, save_needs
from groupement.campaigns.models import NeedLine, Submission
from groupement.core.access import Actor, Role
from groupement.core.audit_log import AuditEvent
from groupement.core.transaction import unit_of_work
from groupement.extensions import db
from tests import factories
from tests.conftest import csrf_token_of, log_in

WRITERS = 50
JOIN_TIMEOUT = 300


@dataclass
class Cell:
    campaign_id: int
    item_id: int
    commune_id: int
    agents: list[tuple[Actor, str]]  # (actor, name)
    emails: list[str]


def _one_cell(make, database, *, initial: int | None) -> Cell:
    """An open campaign of one item, one commune with two agents; the line at `initial`
    (entered by a third agent) or not entered yet (None: no submission either)."""
    capi = make.coordinator()
    group = make.groupement(capi)
    laptop = make.item()
    campaign = make.campaign(group, [laptop])
    commune = make.organisation(name="Commune de Vif")
    make.membership(group, commune)
    marie = make.user(Role.AGENT, commune, name="Marie Dupont")
    paul = make.user(Role.AGENT, commune, name="Paul Martin")
    if initial is not None:
        make.submission(campaign, commune, {laptop: initial}, updated_by=make.user(Role.AGENT, commune))
    cell = Cell(
        campaign.id,
        laptop.id,
        commune.id,
        [(marie.actor, marie.name), (paul.actor, paul.name)],
        [marie.email, paul.email],
    )
    database.session.commit()
    return cell


def _save_all_at_once(app, cell: Cell, quantity_of) -> list[tuple[str, object]]:
    """WRITERS saves of the cell, each with the version it read on the grid before the start."""
    barrier = threading.Barrier(WRITERS)
    outcomes: list[tuple[str, object] | None] = [None] * WRITERS

    def writer(index: int) -> None:
        actor, _ = cell.agents[index % 2]
        with app.app_context():
            try:
                grid = needs_grid(actor, cell.campaign_id)
                seen = next(line.version for line in grid.lines if line.item.id == cell.item_id)
                db.session.rollback()  # the page was read in an earlier request
                barrier.wait(timeout=JOIN_TIMEOUT)
                entry = NeedEntry(cell.item_id, quantity_of(index), "", seen)
                with unit_of_work():
                    changed = save_needs(actor, cell.campaign_id, [entry])
                outcomes[index] = ("ok", changed)
            except Exception as error:  # noqa: BLE001  (reported to the test)
                outcomes[index] = ("error", error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "des écritures n'ont pas fini (blocage ?)"
    return [outcome for outcome in outcomes if outcome is not None]


def _line_and_events(database, cell: Cell) -> tuple[NeedLine, list[AuditEvent]]:
    database.session.expire_all()
    line = database.session.scalars(
        select(NeedLine).join(Submission).where(Submission.commune_id == cell.commune_id)
    ).one()
    events = database.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "need_line", AuditEvent.object_id == str(line.id))
        .order_by(AuditEvent.id)
    ).all()
    return line, events


@pytest.mark.real_commits
def test_fifty_agents_saving_one_cell_at_once_make_one_winner_and_forty_nine_told(app, make, database):
    cell = _one_cell(make, database, initial=12)

    outcomes = _save_all_at_once(app, cell, lambda index: 100 + index)

    assert len(outcomes) == WRITERS
    winners = [index for index, (kind, _) in enumerate(outcomes) if kind == "ok"]
    told = [value for kind, value in outcomes if kind == "error" and isinstance(value, NeedsConflict)]
    assert len(winners) == 1, outcomes
    assert len(told) == WRITERS - 1, [value for kind, value in outcomes if kind == "error"]
    winner = winners[0]
    winner_name = cell.agents[winner % 2][1]
    line, events = _line_and_events(database, cell)
    assert (line.quantity, line.version) == (100 + winner, 2)  # no value vanished, one version step
    for conflict in told:
        assert f"modifiée par {winner_name} à " in str(conflict) and f": 12 → {100 + winner}" in str(conflict)
        assert [c.their_quantity for c in conflict.conflicts] == [100 + winner]
    updates = [e for e in events if e.action == "need_line.update"]
    assert [(e.before["quantity"], e.after["quantity"]) for e in updates] == [(12, 100 + winner)]


@pytest.mark.real_commits
def test_fifty_first_saves_of_a_new_line_at_once_create_it_once(app, make, database):
    """No submission and no line yet: the creations meet on the unique constraints; every loser
    gets the same conflict, never an error page."""
    cell = _one_cell(make, database, initial=None)

    outcomes = _save_all_at_once(app, cell, lambda index: 200 + index)

    winners = [index for index, (kind, _) in enumerate(outcomes) if kind == "ok"]
    unexpected = [value for kind, value in outcomes if kind == "error" and not isinstance(value, NeedsConflict)]
    assert unexpected == [] and len(winners) == 1, outcomes
    line, events = _line_and_events(database, cell)
    assert (line.quantity, line.version) == (200 + winners[0], 1)
    assert [e.action for e in events] == ["need_line.create"]
    submissions = select(func.count()).select_from(Submission).where(Submission.commune_id == cell.commune_id)
    assert database.session.scalar(submissions) == 1


def test_an_update_naming_a_version_that_moved_writes_nothing_and_says_who(make, database):
    """The UPDATE itself is the compare-and-set: the version is moved behind the grid's back,
    after its read and before its write (what no lock prevented on SQLite before), and the
    save is refused with nothing written."""
    cell = _one_cell(make, database, initial=12)
    marie, paul = (actor for actor, _ in cell.agents)
    save_needs(paul, cell.campaign_id, [NeedEntry(cell.item_id, 15, "", 1)])
    line_id = database.session.scalar(select(NeedLine.id))
    seen = needs_grid(marie, cell.campaign_id).lines[0].version

    def another_writer_commits_first(session, flush_context, instances):
        if any(isinstance(obj, NeedLine) for obj in session.dirty):
            session.connection().execute(update(NeedLine.__table__).values(version=NeedLine.version + 1))

    event.listen(Session, "before_flush", another_writer_commits_first)
    try:
        with pytest.raises(NeedsConflict) as refused:
            save_needs(marie, cell.campaign_id, [NeedEntry(cell.item_id, 40, "", seen)])
    finally:
        event.remove(Session, "before_flush", another_writer_commits_first)

    assert "modifiée par Paul Martin à " in str(refused.value) and ": 12 → 15" in str(refused.value)
    database.session.expire_all()
    assert database.session.get(NeedLine, line_id).quantity == 15  # Marie's 40 was not written
    actions = database.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(line_id)))
    assert list(actions) == ["need_line.update"]  # Paul's; none for the refused save


def test_a_save_with_the_version_read_bumps_it_once(make, database):
    cell = _one_cell(make, database, initial=12)
    marie, _ = cell.agents[0]

    assert save_needs(marie, cell.campaign_id, [NeedEntry(cell.item_id, 13, "", 1)]) == 1
    assert save_needs(marie, cell.campaign_id, [NeedEntry(cell.item_id, 14, "", 2)]) == 1

    database.session.expire_all()
    assert database.session.scalars(select(NeedLine.version)).one() == 3


HTTP_WRITERS = 20


@pytest.mark.real_commits
def test_twenty_agents_posting_one_cell_over_http_at_once_get_one_redirect_and_nineteen_409(app, empty_database):
    """The same race through the routes: each POST's transaction begins IMMEDIATE on SQLite
    because it is a POST (no unit_of_work() involved), and the losers get the 409 page."""
    with app.app_context():
        cell = _one_cell(factories, db, initial=12)
    path = f"/campagnes/{cell.campaign_id}/besoins"
    item = cell.item_id
    barrier = threading.Barrier(HTTP_WRITERS)
    statuses: list[tuple[int, str] | None] = [None] * HTTP_WRITERS

    def writer(index: int) -> None:
        client = app.test_client()
        log_in(client, cell.emails[index % 2])
        page = client.get(path).get_data(as_text=True)
        data = {
            "csrf_token": csrf_token_of(page),
            f"q-{item}": str(300 + index),
            f"v-{item}": re.search(rf'name="v-{item}" value="(\d+)"', page).group(1),
            f"oq-{item}": "12",
            f"oc-{item}": "",
        }
        barrier.wait(timeout=JOIN_TIMEOUT)
        try:
            response = client.post(path, data=data)
            statuses[index] = (response.status_code, response.get_data(as_text=True))
        except Exception as error:  # noqa: BLE001  (what a worker would turn into a 500)
            statuses[index] = (500, repr(error))

    threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(HTTP_WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)

    codes = [status for status, _ in statuses]
    assert sorted(codes) == [302] + [409] * (HTTP_WRITERS - 1), codes
    winner = codes.index(302)
    winner_name = cell.agents[winner % 2][1]
    for status, page in statuses:
        if status == 409:
            assert f"modifiée par {winner_name} à " in page and f": 12 → {300 + winner}" in page
    with app.app_context():
        line, events = _line_and_events(db, cell)
        assert (line.quantity, line.version) == (300 + winner, 2)
        assert [(e.before["quantity"], e.after["quantity"]) for e in events] == [(12, 300 + winner)]


def test_a_conflict_from_an_earlier_day_gives_the_date_and_a_first_entry_says_so():
    earlier = Conflict(1, "PC-01", "Portable", 15, "", "Marie Dupont", datetime(2026, 3, 2, 13, 32), 12)
    first = Conflict(1, "PC-01", "Portable", 4, "", "Paul Martin", datetime(2026, 7, 14, 8, 5))

    assert earlier.summary == "PC-01 modifiée par Marie Dupont le 02/03/2026 à 14:32 : 12 → 15"
    assert first.summary == "PC-01 modifiée par Paul Martin le 14/07/2026 à 10:05 : 4 saisi"
    assert "(PC-01 modifiée par Marie Dupont le 02/03/2026 à 14:32 : 12 → 15)" in str(NeedsConflict([earlier]))
