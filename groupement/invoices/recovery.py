"""Recovering a split invoice from the communes: titres de recettes, then the payments on them,
and the cancellation of a title by a counter-title.

Money is written race-free (docs/architecture.md §3, contention):
- a payment moves the title's `paid_total` by one compare-and-set UPDATE
  (``SET paid_total = paid_total + :x WHERE id = :id AND paid_total + :x <= amount_ttc``): the
  UPDATE holds the title's row lock on PostgreSQL until the commit, a second writer waits then
  re-reads the row, so two payments submitted at once cannot both pass; rowcount 0 is a refusal
  in French. The CHECK constraint `paid_within_amount` stands behind it;
- title numbers come from a NumberSequence row per coordinator and year, moved by one atomic
  ``UPDATE … SET last = last + n … RETURNING last`` (row-locked likewise), never count() + 1;
- on SQLite, a writing unit of work begins IMMEDIATE (core/transaction.py): a second writer
  waits for the first one's commit (busy timeout), then sees its payment.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from groupement.core import audit, transaction
from groupement.core.access import Actor
from groupement.core.errors import Forbidden, ServiceError
from groupement.core.formatting import euros
from groupement.core.french import de
from groupement.core.money import to_cents
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.invoices import scope as invoice_scope
from groupement.invoices.models import (
    Allocation,
    Invoice,
    NumberSequence,
    Payment,
    RecoveryTitle,
)
from groupement.invoices.prepayment_rules import deduct_prepayments
from groupement.invoices.scope import ACCOUNTING_ROLES, advance, invoice_for_update
from groupement.invoices.states import (
    InvoiceStatus,
    recovery_account,
)
from groupement.invoices.title_rules import (
    TITLE_PREFIX,
    TitleKind,
    TitleRefused,
    TitleStatus,
    check_cancellation,
    check_due_date,
    check_payment,
    sequence_of,
    title_number,
)

TITLE_SEQUENCE = "recovery_title"
BUSY = (
    "Un autre enregistrement est en cours sur les titres de recettes : rien n'a été enregistré. "
    "Rechargez la page, vérifiez, puis recommencez."
)


def _require_accounting(actor: Actor) -> None:
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")


def _take_numbers(coordinator_id: int, year: int, count: int) -> range:
    """`count` consecutive sequence numbers of the coordinator's titles of `year`."""
    take = (
        update(NumberSequence)
        .where(
            NumberSequence.coordinator_id == coordinator_id,
            NumberSequence.kind == TITLE_SEQUENCE,
            NumberSequence.year == year,
        )
        .values(last=NumberSequence.last + count)
        .returning(NumberSequence.last)
        .execution_options(synchronize_session=False)
    )
    for _ in range(3):
        last = db.session.execute(take).scalar()
        if last is not None:
            return range(last - count + 1, last + 1)
        # The year's first titles: the counter starts after any title numbered before it existed.
        numbers = db.session.scalars(
            select(RecoveryTitle.number).where(
                RecoveryTitle.coordinator_id == coordinator_id,
                RecoveryTitle.number.like(f"{TITLE_PREFIX}-{year}-%"),
            )
        )
        start = max((s for n in numbers if (s := sequence_of(n, year)) is not None), default=0)
        try:
            with transaction.savepoint():
                db.session.add(
                    NumberSequence(coordinator_id=coordinator_id, kind=TITLE_SEQUENCE, year=year, last=start + count)
                )
            return range(start + 1, start + count + 1)
        except IntegrityError:
            continue  # another accountant created the counter meanwhile: take from it
    raise ServiceError(BUSY)


def _settle_if_paid(actor: Actor, invoice_id: int) -> None:
    """The invoice is settled once each of its titles still standing is paid in full. The invoice
    row is locked first, so that two last payments on two titles at once see each other."""
    invoice = invoice_scope.get_invoice(actor, invoice_id, for_update=True)
    if invoice.status is not InvoiceStatus.RECOVERED:
        return
    standing = db.session.scalars(
        invoice_scope.titles(actor)
        .where(
            RecoveryTitle.invoice_id == invoice.id,
            RecoveryTitle.kind == TitleKind.TITLE,
            RecoveryTitle.status == TitleStatus.ISSUED,
        )
        .execution_options(populate_existing=True)
    ).all()
    if standing and all(t.paid_total == t.amount_ttc for t in standing):
        invoice.status = advance("settle", invoice.status, InvoiceStatus.SETTLED)


# --- recovery titles ---------------------------------------------------------------------------


def issue_recovery_titles(actor: Actor, invoice_id: int, due_date: date) -> list[RecoveryTitle]:
    """One titre de recettes per commune for its TTC share (no VAT on the re-invoice between
    public bodies: the coordinator recovers the TTC, domain-facts §7), due today at the earliest
    and not before the invoice's date, numbered TR-<year of issue>-00001… per coordinator."""
    _require_accounting(actor)
    invoice = invoice_for_update(actor, invoice_id)
    advance("issue_titles", invoice.status, InvoiceStatus.RECOVERED)
    today = paris_today()
    check_due_date(due_date, today, invoice.issue_date)
    allocations = db.session.scalars(
        invoice_scope.allocations(actor)
        .where(Allocation.invoice_id == invoice.id)
        .options(selectinload(Allocation.lines))  # one query for every share's lines, at 1 000 communes
        .order_by(Allocation.commune_id)
    ).all()
    deducted = _deducted_prepayments(actor, invoice)
    deduction = deduct_prepayments(
        invoice.total_ttc,
        invoice.prepaid,
        {str(a.commune_id): a.ttc for a in allocations},
        _titled_by_commune([p.id for p in deducted]) if deducted else None,
    )
    amounts = deduction.amounts
    # A commune whose share of the amount due is nil (a fully prepaid invoice) gets no title.
    billed = [a for a in allocations if amounts[str(a.commune_id)]]
    numbers = _take_numbers(invoice.coordinator_id, today.year, len(billed)) if billed else range(0)
    after_prepayments = (
        f", déduction faite des acomptes ({', '.join(p.number for p in deducted) or 'hors application'} : "
        f"{euros(invoice.prepaid)}, {deduction.method})"
        if invoice.prepaid
        else ""
    )
    titles = []
    for sequence, allocation in zip(numbers, billed, strict=True):
        main_line = max(allocation.lines, key=lambda line: abs(line.ht)) if allocation.lines else None
        account = recovery_account(main_line.account if main_line else None)
        title = RecoveryTitle(
            coordinator_id=invoice.coordinator_id,
            number=title_number(today.year, sequence),
            kind=TitleKind.TITLE,
            status=TitleStatus.ISSUED,
            invoice_id=invoice.id,
            commune_id=allocation.commune_id,
            object=f"Remboursement de la facture {invoice.number} {de(invoice.seller_name)} "
            f"({invoice.kind.label}, groupement de commandes){after_prepayments}"[:300],
            amount_ttc=amounts[str(allocation.commune_id)],
            paid_total=Decimal("0.00"),
            account=account,
            due_date=due_date,
            issued_by_id=actor.user_id,
        )
        db.session.add(title)
        titles.append(title)
    invoice.status = advance("issue_titles", invoice.status, InvoiceStatus.RECOVERED)
    if not titles:  # wholly prepaid: nothing left to recover
        invoice.status = advance("settle", invoice.status, InvoiceStatus.SETTLED)
    db.session.flush()
    audit.record(
        actor.user_id,
        "invoice.titles",
        "invoice",
        invoice.id,
        after={
            "titles": [t.number for t in titles],
            "total": sum((t.amount_ttc for t in titles), Decimal(0)),
            "due_date": due_date,
        }
        | (
            {
                "prepaid": invoice.prepaid,
                "prepayments": [p.number for p in deducted],
                "deduction": "par commune" if deduction.per_commune else "au prorata",
            }
            if invoice.prepaid
            else {}
        ),
    )
    return titles


def _titled_by_commune(invoice_ids: list[int]) -> dict[str, Decimal]:
    """What each commune was titled on these invoices, net of cancellations (a counter-title
    carries the opposite amount)."""
    rows = db.session.execute(
        select(RecoveryTitle.commune_id, func.sum(RecoveryTitle.amount_ttc))
        .where(RecoveryTitle.invoice_id.in_(invoice_ids))
        .group_by(RecoveryTitle.commune_id)
    )
    return {str(commune_id): to_cents(Decimal(total)) for commune_id, total in rows if total}


def _deducted_prepayments(actor: Actor, invoice: Invoice) -> list[Invoice]:
    """The prepayment invoices this final invoice deducts (matched at import). Each must have been
    titled to the communes first: the final invoice's titles bill only the amount due."""
    deducted = list(
        db.session.scalars(
            invoice_scope.invoices(actor).where(Invoice.deducted_by_id == invoice.id).order_by(Invoice.issue_date)
        )
    )
    untitled = [p for p in deducted if p.status not in (InvoiceStatus.RECOVERED, InvoiceStatus.SETTLED)]
    if untitled:
        raise TitleRefused(
            "Émettez d'abord les titres de la facture d'acompte "
            + ", ".join(f"n° {p.number} ({p.status.label})" for p in untitled)
            + f" : les titres de la facture n° {invoice.number} ne portent que le net à payer, "
            f"{euros(invoice.payable)}, l'acompte étant titré avec sa facture. Rien n'a été enregistré."
        )
    return deducted


def cancel_title(actor: Actor, title_id: int, reason: str) -> RecoveryTitle:
    """Cancel a title by a counter-title: a new title of the opposite amount, numbered in the same
    sequence, that points to the cancelled one and carries the reason. The cancelled title keeps
    its row and its number, its status becomes "annulé". Refused for a title with payments (the
    message says so), for a counter-title and for a title already cancelled. Returns the
    counter-title."""
    _require_accounting(actor)
    title = invoice_scope.get_title(actor, title_id, "Titre de recettes introuvable.")
    reason = check_cancellation(title.kind, title.status, title.paid_total, reason, title.number)
    # Compare-and-set: a payment or another cancellation committed meanwhile wins.
    cancelled = db.session.execute(
        update(RecoveryTitle)
        .where(
            RecoveryTitle.id == title.id,
            RecoveryTitle.status == TitleStatus.ISSUED,
            RecoveryTitle.paid_total == 0,
        )
        .values(status=TitleStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(title)
    if cancelled.rowcount != 1:
        check_cancellation(title.kind, title.status, title.paid_total, reason, title.number)
        raise TitleRefused(f"Le titre {title.number} a changé entre-temps : rechargez la page.")
    today = paris_today()
    (sequence,) = _take_numbers(title.coordinator_id, today.year, 1)
    counter = RecoveryTitle(
        coordinator_id=title.coordinator_id,
        number=title_number(today.year, sequence),
        kind=TitleKind.CANCELLATION,
        status=TitleStatus.ISSUED,
        invoice_id=title.invoice_id,
        commune_id=title.commune_id,
        object=f"Annulation du titre {title.number} : {reason}"[:300],
        amount_ttc=-title.amount_ttc + Decimal(0),
        paid_total=Decimal("0.00"),
        account=title.account,
        due_date=max(today, title.due_date),
        issued_by_id=actor.user_id,
        cancels_id=title.id,
        reason=reason,
    )
    db.session.add(counter)
    db.session.flush()
    _settle_if_paid(actor, title.invoice_id)
    audit.record(
        actor.user_id,
        "recovery_title.cancel",
        "recovery_title",
        title.id,
        before={"status": TitleStatus.ISSUED.value, "amount": title.amount_ttc},
        after={"status": TitleStatus.CANCELLED.value, "counter_title": counter.number, "reason": reason},
    )
    return counter


# --- payments ------------------------------------------------------------------------------------


def record_payment(actor: Actor, title_id: int, paid_on: date, amount: Decimal, reference: str = "") -> Payment:
    """A payment on a title, within what remains due: two submitted at once give one payment."""
    _require_accounting(actor)
    amount = to_cents(amount)
    title = invoice_scope.get_title(actor, title_id)
    check_payment(title.kind, title.status, amount, title.amount_ttc, title.number)
    new_total = func.round(RecoveryTitle.paid_total + amount, 2)
    fits = new_total <= RecoveryTitle.amount_ttc if amount > 0 else new_total >= RecoveryTitle.amount_ttc
    moved = db.session.execute(
        update(RecoveryTitle)
        .where(RecoveryTitle.id == title.id, RecoveryTitle.status == TitleStatus.ISSUED, fits)
        .values(paid_total=new_total)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(title)  # what the database holds now: this payment, or another's
    if moved.rowcount != 1:
        check_payment(title.kind, title.status, amount, title.amount_ttc, title.number)
        raise TitleRefused(
            f"L'encaissement de {euros(amount)} dépasse le reste dû de "
            f"{euros(title.amount_ttc - title.paid_total)} sur le titre {title.number} "
            f"(déjà encaissé : {euros(title.paid_total)}) : cet encaissement est peut-être déjà enregistré."
        )
    payment = Payment(paid_on=paid_on, amount=amount, reference=reference.strip()[:100], recorded_by_id=actor.user_id)
    title.payments.append(payment)
    db.session.flush()
    _settle_if_paid(actor, title.invoice_id)
    audit.record(
        actor.user_id,
        "payment.record",
        "recovery_title",
        title.id,
        after={"amount": amount, "paid_on": paid_on, "reference": payment.reference, "paid_total": title.paid_total},
    )
    return payment
