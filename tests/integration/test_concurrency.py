"""Concurrent writers (row locks, unique constraints, deadlocks, compare-and-set). Each thread has
its own app context, hence its own session and connection; a Barrier starts them together.

The needs, split and import scenarios run against the real PostgreSQL only (SQLite serialises
every writer). The money writes (payments on one title, title numbers) run on both databases:
on SQLite too, a double-click must give one payment and no "database is locked"."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from groupement.campaigns.grid import NeedEntry, NeedsConflict, needs_grid, save_needs
from groupement.campaigns.models import NeedLine, Submission
from groupement.campaigns.rules import SubmissionStatus
from groupement.core.access import Role, system_actor
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import ServiceError
from groupement.core.timeutil import paris_today, utcnow
from groupement.core.transaction import unit_of_work
from groupement.extensions import db
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.importing import InvoiceRejected, import_invoice
from groupement.invoices.models import Allocation, Invoice, NumberSequence, Payment, RecoveryTitle
from groupement.invoices.recovery import issue_recovery_titles, record_payment
from groupement.invoices.splitting import split_invoice
from groupement.lots.campaign_aggregation import aggregate_campaign
from groupement.lots.models import LotLineShare
from tests.invoicing import approve_for_split, without_prepayment

# Real commits: what the code commits must be seen by the other threads' connections.
pytestmark = pytest.mark.real_commits
postgresql_only = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql")),
    reason="concurrence vérifiée sur PostgreSQL seulement (DATABASE_URL) : SQLite sérialise les écritures",
)

JOIN_TIMEOUT = 120
UBL = Path(__file__).resolve().parents[1] / "fixtures" / "invoices" / "ubl21_en16931_fr.xml"


def committed(job: Callable[[], object]) -> Callable[[], object]:
    """The job in its own unit of work, as a request or a CLI command runs it: services never commit."""

    def run() -> object:
        with unit_of_work():
            return job()

    return run


def run_together(app, jobs: list[Callable[[], object]]) -> list[tuple[str, object]]:
    """Run every job in its own thread and app context, all released at once; ("ok", value) or
    ("error", exception) per job, in order. Fails if a thread is still running after the timeout."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[tuple[str, object] | None] = [None] * len(jobs)

    def worker(index: int, job: Callable[[], object]) -> None:
        with app.app_context():
            try:
                prepare = getattr(job, "prepare", None)
                argument = prepare() if prepare else None
                db.session.rollback()  # what was read before the start holds no lock
                barrier.wait(timeout=JOIN_TIMEOUT)
                with unit_of_work():  # each job commits once, as its request would
                    outcomes[index] = ("ok", job(argument) if prepare else job())
            except Exception as error:  # noqa: BLE001  (reported to the test)
                outcomes[index] = ("error", error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, job), daemon=True) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "des fils d'exécution n'ont pas fini (blocage ?)"
    assert all(outcome is not None for outcome in outcomes)
    return outcomes


class Save:
    """An agent's save of one line, with the version read on the grid just before the start."""

    def __init__(self, actor, campaign_id: int, item_id: int, quantity: int):
        self.actor, self.campaign_id, self.item_id, self.quantity = actor, campaign_id, item_id, quantity

    def prepare(self) -> int:
        grid = needs_grid(self.actor, self.campaign_id)
        return next(line.version for line in grid.lines if line.item.id == self.item_id)

    def __call__(self, version: int) -> int:
        return save_needs(self.actor, self.campaign_id, [NeedEntry(self.item_id, self.quantity, "", version)])


@pytest.fixture
def twenty_two_communes(make, database):
    """22 member communes with 2 agents each, an OPEN campaign (laptop already at 1 everywhere,
    screen and printer not yet entered), and a CLOSED campaign whose needs are all validated."""
    capi = make.coordinator()
    group = make.groupement(capi)
    laptop, screen, printer = make.item(), make.item(cpv_code="30231300-0"), make.item(cpv_code="30232110-8")
    open_campaign = make.campaign(group, [laptop, screen, printer])
    now = utcnow()
    closed = make.campaign(
        group, [laptop, screen], title="Recensement clos", opens_at=now - timedelta(days=20), closes_at=now
    )
    communes = []
    for n in range(22):
        commune = make.organisation(name=f"Commune {n + 1:02d}")
        make.membership(group, commune)
        agents = (make.user(Role.AGENT, commune), make.user(Role.AGENT, commune))
        make.submission(open_campaign, commune, {laptop: 1}, updated_by=agents[0])
        make.submission(closed, commune, {laptop: n + 1, screen: 2}, status=SubmissionStatus.VALIDATED)
        communes.append((commune, [a.actor for a in agents]))
    coordinator = make.user(Role.COORDINATOR, capi).actor
    database.session.commit()
    return {
        "communes": communes,
        "open": open_campaign.id,
        "closed": closed.id,
        "laptop": laptop.id,
        "screen": screen.id,
        "printer": printer.id,
        "coordinator": coordinator,
    }


@postgresql_only
def test_44_agents_saving_while_the_coordinator_aggregates_lose_nothing_and_never_deadlock(
    app, database, twenty_two_communes
):
    world = twenty_two_communes
    jobs: list[Callable] = [lambda: aggregate_campaign(world["coordinator"], world["closed"])]
    plan = []  # (commune index, agent index, item, quantity) per save job
    for index, (_, (first, second)) in enumerate(world["communes"]):
        # the same existing line, the same new line (two different values each), then each agent's own line
        for item, quantities in ((world["laptop"], (10 + index, 50 + index)), (world["printer"], (3, 4))):
            for agent_index, (actor, quantity) in enumerate(zip((first, second), quantities, strict=True)):
                jobs.append(Save(actor, world["open"], item, quantity))
                plan.append((index, agent_index, item, quantity))
        jobs.append(Save(first, world["open"], world["screen"], 100 + index))
        plan.append((index, 0, world["screen"], 100 + index))

    outcomes = run_together(app, jobs)

    kind, report = outcomes[0]
    assert kind == "ok", report
    assert (report.communes, report.lines) == (22, 2)
    unexpected = [o for o in outcomes[1:] if o[0] == "error" and not isinstance(o[1], NeedsConflict)]
    assert unexpected == [], unexpected
    database.session.expire_all()
    applied_changes = 0
    for index, (commune, _) in enumerate(world["communes"]):
        lines = {
            line.item_id: line
            for line in database.session.scalars(
                select(NeedLine)
                .join(Submission)
                .where(Submission.commune_id == commune.id, Submission.campaign_id == world["open"])
            )
        }
        for item, initial_version in ((world["laptop"], 1), (world["printer"], 0)):
            results = [(o, q) for o, (i, _, it, q) in zip(outcomes[1:], plan, strict=True) if i == index and it == item]
            applied = [q for (kind, _), q in results if kind == "ok"]
            conflicts = [o for (kind, o), _ in results if kind == "error"]
            # Both read the same version: exactly one applies, the other is told, nothing silently lost.
            assert len(applied) == 1 and len(conflicts) == 1, (commune.name, item, results)
            assert lines[item].quantity == applied[0]
            assert lines[item].version == initial_version + 1
            applied_changes += 1
        assert lines[world["screen"]].quantity == 100 + index  # no contention: always applied
        applied_changes += 1
    events = database.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action.in_(["need_line.create", "need_line.update"]))
    )
    assert events == applied_changes == 22 * 3
    shares = database.session.scalar(select(func.sum(LotLineShare.quantity)))
    assert shares == sum(range(1, 23)) + 22 * 2  # the aggregation saw every validated need once


@postgresql_only
def test_the_same_invoice_split_twice_at_once_gives_one_split(app, make, database):
    capi = make.coordinator()
    group = make.groupement(capi)
    codes = []
    for insee, population in (("38053", 29816), ("38553", 19018), ("38172", 1672), ("38136", 590)):
        make.membership(group, make.organisation(insee_code=insee, population=population))
        codes.append(insee)
    accountant = system_actor(capi.id)
    invoice_id = import_invoice(accountant, UBL.name, UBL.read_bytes()).id
    approve_for_split(accountant, invoice_id)
    database.session.commit()

    outcomes = run_together(
        app,
        [committed(lambda: split_invoice(accountant, invoice_id, AllocationKey.POPULATION, codes)) for _ in range(2)],
    )

    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"]
    error = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(error, ServiceError) and "répartie" in str(error)
    database.session.expire_all()
    assert database.session.scalar(select(func.count()).select_from(Allocation)) == 4
    assert (
        database.session.scalar(select(func.sum(Allocation.ttc))) == database.session.get(Invoice, invoice_id).total_ttc
    )
    splits = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "invoice.split")
    assert database.session.scalar(splits) == 1


@postgresql_only
def test_two_imports_of_the_same_invoice_at_once_give_one_invoice(app, make, database):
    content = UBL.read_bytes()
    accountant = system_actor(make.coordinator().id)
    database.session.commit()

    outcomes = run_together(
        app, [committed(lambda: import_invoice(accountant, UBL.name, content).id) for _ in range(2)]
    )

    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"]
    error = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(error, InvoiceRejected) and "doublon" in " ".join(error.reasons)
    database.session.expire_all()
    assert database.session.scalar(select(func.count()).select_from(Invoice)) == 1
    imports = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "invoice.import")
    assert database.session.scalar(imports) == 1


# --- money: payments on one title, title numbers (both databases) ----------------------------------


def split_invoices(make, count: int) -> tuple[object, list[int], list[int]]:
    """`count` copies of the UBL sample (308,03 € TTC, each its own number and date), split equally
    between two communes and committed; the accountant, the invoice ids, the commune ids."""
    capi = make.coordinator()
    group = make.groupement(capi)
    communes = []
    for insee in ("38053", "38553"):
        commune = make.organisation(insee_code=insee)
        make.membership(group, commune)
        communes.append(commune.id)
    accountant = system_actor(capi.id)
    invoices = []
    for n in range(1, count + 1):
        content = without_prepayment(UBL.read_bytes()).replace(
            b"<cbc:ID>F124212</cbc:ID>", f"<cbc:ID>F124212-{n}</cbc:ID>".encode(), 1
        )
        content = content.replace(
            b"<cbc:IssueDate>2026-06-17</cbc:IssueDate>", f"<cbc:IssueDate>2026-05-{n:02d}</cbc:IssueDate>".encode(), 1
        )
        invoice = import_invoice(accountant, f"facture-{n}.xml", content)
        approve_for_split(accountant, invoice.id)
        split_invoice(accountant, invoice.id, AllocationKey.EQUAL, ["38053", "38553"])
        invoices.append(invoice.id)
    db.session.commit()
    return accountant, invoices, communes


def test_two_simultaneous_payments_cannot_exceed_the_title(app, make, database):
    accountant, (invoice_id,), (commune_a, _) = split_invoices(make, 1)
    titles = issue_recovery_titles(accountant, invoice_id, paris_today())
    title_id = next(t.id for t in titles if t.commune_id == commune_a)
    other_id = next(t.id for t in titles if t.id != title_id)
    amount = next(t.amount_ttc for t in titles if t.id == title_id)
    database.session.commit()  # and no transaction left open here: SQLite would keep its read lock
    assert amount == Decimal("154.02")

    # A double-click: the whole amount twice at once.
    outcomes = run_together(
        app, [lambda: record_payment(accountant, title_id, paris_today(), amount).id for _ in range(2)]
    )
    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"], outcomes
    refusal = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(refusal, ServiceError) and "dépasse le reste dû de 0,00" in str(refusal)

    # Twelve accountants at once, 38,50 € each on what is left of the other title: exactly four fit.
    outcomes = run_together(
        app,
        [lambda: record_payment(accountant, other_id, paris_today(), Decimal("38.50")).id for _ in range(12)],
    )
    accepted = [value for kind, value in outcomes if kind == "ok"]
    refused = [value for kind, value in outcomes if kind == "error"]
    assert len(accepted) == 4 and len(refused) == 8, outcomes
    assert all(isinstance(r, ServiceError) and "dépasse le reste dû" in str(r) for r in refused), refused

    database.session.expire_all()
    for tid, expected in ((title_id, amount), (other_id, Decimal("154.00"))):
        title = database.session.get(RecoveryTitle, tid)
        paid = database.session.scalar(select(func.sum(Payment.amount)).where(Payment.title_id == tid))
        assert paid == title.paid_total == expected <= title.amount_ttc
    recorded = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "payment.record")
    assert database.session.scalar(recorded) == 1 + 4


def test_simultaneous_title_issues_get_distinct_consecutive_numbers(app, make, database):
    accountant, invoices, _ = split_invoices(make, 10)

    outcomes = run_together(
        app,
        [
            (
                lambda invoice_id=invoice_id: [
                    t.number for t in issue_recovery_titles(accountant, invoice_id, paris_today())
                ]
            )
            for invoice_id in invoices
        ],
    )

    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    year = paris_today().year
    sequences = sorted(int(number.removeprefix(f"TR-{year}-")) for _, numbers in outcomes for number in numbers)
    assert sequences == list(range(1, 21))  # distinct and consecutive, from 1
    for _, numbers in outcomes:  # each invoice's two titles follow each other
        first, second = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
        assert second == first + 1
    database.session.expire_all()
    assert database.session.scalar(select(func.count()).select_from(RecoveryTitle)) == 20
    assert database.session.scalar(select(NumberSequence.last)) == 20
