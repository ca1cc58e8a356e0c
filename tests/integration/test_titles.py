"""Recovery titles as a commune's accountant and the public paymaster want them: due dates that make
sense, numbers from a counter, a cancellation that is a reasoned counter-entry, a paid total the
database itself bounds, and a ledger that tells a share not titled yet from a share paid."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from groupement.core.access import Role
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import ServiceError
from groupement.core.timeutil import paris_today
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.importing import import_invoice
from groupement.invoices.ledgers import commune_ledger
from groupement.invoices.models import Invoice, NumberSequence, Payment, RecoveryTitle
from groupement.invoices.pages import commune_payments, title_rows
from groupement.invoices.recovery import cancel_title, issue_recovery_titles, record_payment
from groupement.invoices.splitting import split_invoice
from groupement.invoices.statements import titles_csv
from groupement.invoices.states import InvoiceStatus
from groupement.invoices.title_rules import ShareState, TitleKind, TitleStatus
from tests.invoicing import approve_for_split, without_prepayment

UBL = Path(__file__).resolve().parents[1] / "fixtures" / "invoices" / "ubl21_en16931_fr.xml"


def ubl_invoice(accountant, n: int = 0) -> Invoice:
    """The UBL sample (308,03 € TTC), under its own number and date when n > 0."""
    content = without_prepayment(UBL.read_bytes())
    if n:
        content = content.replace(b"<cbc:ID>F124212</cbc:ID>", f"<cbc:ID>F124212-{n}</cbc:ID>".encode(), 1)
        content = content.replace(
            b"<cbc:IssueDate>2026-06-17</cbc:IssueDate>", f"<cbc:IssueDate>2026-05-{n:02d}</cbc:IssueDate>".encode(), 1
        )
    return import_invoice(accountant, f"facture-{n}.xml", content)


@pytest.fixture
def split(make, database):
    """The UBL sample split equally between Commune A (154,02 €) and Commune B (154,01 €)."""
    capi = make.coordinator()
    group = make.groupement(capi)
    a = make.organisation(name="Commune A", insee_code="38053")
    b = make.organisation(name="Commune B", insee_code="38553")
    make.membership(group, a)
    make.membership(group, b)
    accountant = make.user(Role.ACCOUNTANT, capi).actor
    agent_a = make.user(Role.AGENT, a).actor
    invoice = ubl_invoice(accountant)
    approve_for_split(accountant, invoice.id)
    split_invoice(accountant, invoice.id, AllocationKey.EQUAL, ["38053", "38553"])
    database.session.flush()
    return {"capi": capi, "a": a, "b": b, "accountant": accountant, "agent_a": agent_a, "invoice": invoice}


def title_of(titles, commune) -> RecoveryTitle:
    return next(t for t in titles if t.commune_id == commune.id)


def test_a_due_date_in_the_past_is_refused(split, database):
    yesterday = paris_today() - timedelta(days=1)
    with pytest.raises(ServiceError, match=r"date d'échéance \(\d\d/\d\d/\d{4}\) est passée"):
        issue_recovery_titles(split["accountant"], split["invoice"].id, yesterday)
    assert database.session.scalar(select(func.count()).select_from(RecoveryTitle)) == 0
    assert split["invoice"].status is InvoiceStatus.SPLIT
    # Today is the earliest due date.
    assert len(issue_recovery_titles(split["accountant"], split["invoice"].id, paris_today())) == 2


def test_a_due_date_before_the_invoice_date_is_refused(split, database):
    invoice = split["invoice"]
    invoice.issue_date = paris_today() + timedelta(days=20)  # an invoice dated ahead (a term invoice)
    database.session.flush()
    with pytest.raises(ServiceError, match="précède la date de la facture"):
        issue_recovery_titles(split["accountant"], invoice.id, paris_today() + timedelta(days=10))
    assert database.session.scalar(select(func.count()).select_from(RecoveryTitle)) == 0
    titles = issue_recovery_titles(split["accountant"], invoice.id, invoice.issue_date)
    assert {t.due_date for t in titles} == {invoice.issue_date}


def test_titles_are_numbered_from_a_yearly_counter_per_coordinator(split, make, database):
    year = paris_today().year
    titles = issue_recovery_titles(split["accountant"], split["invoice"].id, paris_today())
    assert sorted(t.number for t in titles) == [f"TR-{year}-00001", f"TR-{year}-00002"]
    counter = database.session.scalar(select(NumberSequence).where(NumberSequence.coordinator_id == split["capi"].id))
    assert (counter.year, counter.last) == (year, 2)
    # Another coordinator numbers its own titles from 1.
    other = make.coordinator(name="Autre coordonnateur", siren="200066793", siret=None)
    commune = make.organisation(name="Commune C", insee_code="38172")
    make.membership(make.groupement(other), commune)
    accountant = make.user(Role.ACCOUNTANT, other).actor
    invoice = ubl_invoice(accountant)
    approve_for_split(accountant, invoice.id)
    split_invoice(accountant, invoice.id, AllocationKey.EQUAL, ["38172"])
    (own,) = issue_recovery_titles(accountant, invoice.id, paris_today())
    assert own.number == f"TR-{year}-00001"


def test_a_title_is_cancelled_by_a_reasoned_counter_title(split, database):
    titles = issue_recovery_titles(split["accountant"], split["invoice"].id, paris_today() + timedelta(days=30))
    title = title_of(titles, split["a"])
    paid_b = title_of(titles, split["b"])
    record_payment(split["accountant"], paid_b.id, paris_today(), paid_b.amount_ttc)

    counter = cancel_title(split["accountant"], title.id, "  Erreur de  clé de répartition  ")

    assert counter.kind is TitleKind.CANCELLATION and counter.cancels_id == title.id
    assert counter.amount_ttc == -title.amount_ttc == Decimal("-154.02")
    assert counter.reason == "Erreur de clé de répartition"
    assert counter.number == f"TR-{paris_today().year}-00003"  # the same sequence as the titles
    database.session.refresh(title)
    assert title.status is TitleStatus.CANCELLED and title.cancelled_by.id == counter.id
    assert database.session.scalar(select(func.count()).select_from(RecoveryTitle)) == 3  # nothing deleted
    event = database.session.scalar(select(AuditEvent).where(AuditEvent.action == "recovery_title.cancel"))
    assert event.object_id == str(title.id) and event.after["reason"] == "Erreur de clé de répartition"
    # B paid, A's title cancelled: nothing is left to collect on the invoice.
    assert split["invoice"].status is InvoiceStatus.SETTLED
    # A cancelled title takes no payment.
    with pytest.raises(ServiceError, match="annulé"):
        record_payment(split["accountant"], title.id, paris_today(), Decimal("1.00"))
    # The ledger and the exports show both entries.
    row = commune_ledger(split["agent_a"], split["a"].id).rows[0]
    assert row.state is ShareState.CANCELLED and row.titled == 0 and row.outstanding == 0
    assert (row.title_number, row.cancelled_by) == (title.number, counter.number)
    listed = commune_payments(split["agent_a"], split["a"].id).titles
    assert [t.number for t in listed] == [title.number, counter.number]
    exported = titles_csv(title_rows(split["accountant"])).decode("utf-8-sig").splitlines()
    assert any(line.startswith(f"{title.number};titre;;") and line.endswith(";annulé") for line in exported)
    assert any(line.startswith(f"{counter.number};annulation;{title.number};") for line in exported)
    assert any(";-154,02;" in line for line in exported)


def test_cancellation_requires_a_reason(split, database):
    titles = issue_recovery_titles(split["accountant"], split["invoice"].id, paris_today())
    title = title_of(titles, split["a"])
    for reason in ("", "   "):
        with pytest.raises(ServiceError, match="motif de l'annulation est obligatoire"):
            cancel_title(split["accountant"], title.id, reason)
    database.session.refresh(title)
    assert title.status is TitleStatus.ISSUED
    assert database.session.scalar(select(func.count()).select_from(RecoveryTitle)) == 2


def test_a_title_with_a_payment_or_already_cancelled_is_not_cancelled(split, database):
    titles = issue_recovery_titles(split["accountant"], split["invoice"].id, paris_today())
    paid = title_of(titles, split["a"])
    record_payment(split["accountant"], paid.id, paris_today(), Decimal("10.00"))
    with pytest.raises(ServiceError, match="déjà des encaissements"):
        cancel_title(split["accountant"], paid.id, "Doublon")
    other = title_of(titles, split["b"])
    counter = cancel_title(split["accountant"], other.id, "Doublon")
    with pytest.raises(ServiceError, match="déjà annulé"):
        cancel_title(split["accountant"], other.id, "Doublon")
    with pytest.raises(ServiceError, match="titre d'annulation"):
        cancel_title(split["accountant"], counter.id, "Doublon")
    with pytest.raises(ServiceError, match="titre d'annulation"):
        record_payment(split["accountant"], counter.id, paris_today(), Decimal("-1.00"))


def test_a_share_not_yet_titled_is_shown_as_a_titrer(split, database):
    ledger = commune_ledger(split["agent_a"], split["a"].id)
    (row,) = ledger.rows
    assert row.state is ShareState.TO_TITLE and row.state_label == "à titrer"
    assert row.ttc_allocated == Decimal("154.02") and ledger.to_title == Decimal("154.02")
    titles = issue_recovery_titles(split["accountant"], split["invoice"].id, paris_today())
    title = title_of(titles, split["a"])
    (row,) = commune_ledger(split["agent_a"], split["a"].id).rows
    assert row.state is ShareState.OUTSTANDING and row.outstanding == Decimal("154.02")
    record_payment(split["accountant"], title.id, paris_today(), title.amount_ttc)
    (row,) = commune_ledger(split["agent_a"], split["a"].id).rows
    assert row.state is ShareState.SETTLED and row.state_label == "soldé" and row.outstanding == 0


def test_the_database_refuses_a_paid_total_beyond_the_title(split, database):
    titles = issue_recovery_titles(split["accountant"], split["invoice"].id, paris_today())
    title = title_of(titles, split["a"])
    record_payment(split["accountant"], title.id, paris_today(), Decimal("100.00"))
    database.session.flush()
    # Written around the use case, straight on the table: the CHECK constraint refuses it.
    table = RecoveryTitle.__table__
    for paid_total in ("154.03", "-0.01"):
        with pytest.raises(IntegrityError), database.session.begin_nested():
            database.session.execute(update(table).where(table.c.id == title.id).values(paid_total=Decimal(paid_total)))
    with pytest.raises(IntegrityError), database.session.begin_nested():
        database.session.execute(
            text(f"UPDATE recovery_title SET paid_total = paid_total + 54.03 WHERE id = {title.id}")
        )
    database.session.execute(update(table).where(table.c.id == title.id).values(paid_total=Decimal("154.02")))
    assert database.session.scalar(select(func.count()).select_from(Payment)) == 1


def test_a_payment_beyond_what_remains_is_refused_with_what_remains(split, database):
    titles = issue_recovery_titles(split["accountant"], split["invoice"].id, paris_today())
    title = title_of(titles, split["a"])
    record_payment(split["accountant"], title.id, paris_today(), title.amount_ttc)
    with pytest.raises(ServiceError, match=r"dépasse le reste dû de 0,00\s€"):
        record_payment(split["accountant"], title.id, paris_today(), title.amount_ttc)
    database.session.refresh(title)
    assert title.paid_total == title.amount_ttc == sum(p.amount for p in title.payments)
