"""Reading the invoicing area: the invoices list, a commune's statement and ledger, a contract's
reconciliation. Queries only, all through invoices/scope.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, func, select

from groupement.contracts import scope as contract_scope
from groupement.contracts.models import Contract, Delivery, Order, OrderLine
from groupement.core.access import Actor
from groupement.core.errors import Forbidden, NotFound
from groupement.core.money import to_cents
from groupement.core.search import contains
from groupement.core.search_text import search_words
from groupement.extensions import db
from groupement.invoices import scope as invoice_scope
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.models import (
    Allocation,
    AllocationLine,
    Invoice,
    Payment,
    RecoveryTitle,
)
from groupement.invoices.official_findings import officially_blocked_ids
from groupement.invoices.scope import ACCOUNTING_ROLES
from groupement.invoices.states import (
    InvoiceStatus,
)
from groupement.invoices.title_rules import ShareState, TitleKind, TitleStatus, share_state
from groupement.organisations.models import Organisation


def list_invoices(
    actor: Actor, status: InvoiceStatus | None = None, search: str = "", official_blocked: bool = False
) -> list[Invoice]:
    return list(db.session.scalars(invoices_query(actor, status, search, official_blocked)))


def invoices_query(
    actor: Actor, status: InvoiceStatus | None = None, search: str = "", official_blocked: bool = False
) -> Select:
    """The scoped, filtered, ordered SELECT of the invoices: for a page of the board or all of them.
    `official_blocked`: only those whose split a fatal official finding stops (not rejected yet)."""
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    statement = invoice_scope.invoices(actor).order_by(Invoice.issue_date.desc(), Invoice.id.desc())
    if status is not None:
        statement = statement.where(Invoice.status == status)
    if official_blocked:
        statement = statement.where(Invoice.id.in_(officially_blocked_ids()))
    for word in search_words(search):  # accent- and case-blind on every database (core/search_text.py)
        statement = statement.where(contains(Invoice.search_key, word))
    return statement


def invoice_detail(actor: Actor, invoice_id: int) -> Invoice:
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    return invoice_scope.get_invoice(actor, invoice_id)


@dataclass(frozen=True)
class Statement:
    invoice: Invoice
    commune: Organisation
    allocation: Allocation
    lines: list[AllocationLine]
    key_label: str


def commune_statement(actor: Actor, invoice_id: int, commune_id: int) -> Statement:
    """A commune's état de répartition: its own commune only, for commune users."""
    allocation = db.session.scalar(
        invoice_scope.allocations(actor).where(Allocation.invoice_id == invoice_id, Allocation.commune_id == commune_id)
    )
    if allocation is None:
        raise NotFound("État de répartition introuvable.")
    return Statement(
        allocation.invoice,
        allocation.commune,
        allocation,
        sorted(allocation.lines, key=lambda line: line.line_key),
        AllocationKey(allocation.allocation_key).label,
    )


@dataclass(frozen=True)
class LedgerRow:
    """A commune's share of one invoice: allocated, then titled (net of a cancellation), paid."""

    invoice_id: int
    invoice_number: str
    invoice_date: date
    supplier: str
    ttc_allocated: Decimal
    titled: Decimal  # the title's amount, plus its counter-title's (so 0 once cancelled)
    paid: Decimal
    state: ShareState
    title_number: str = ""
    cancelled_by: str = ""  # the counter-title's number

    @property
    def outstanding(self) -> Decimal:
        return self.titled - self.paid

    @property
    def state_label(self) -> str:
        return self.state.label


@dataclass(frozen=True)
class Ledger:
    commune: Organisation
    rows: list[LedgerRow]

    @property
    def totals(self) -> dict[str, Decimal]:
        return {
            name: sum((getattr(row, name) for row in self.rows), Decimal(0))
            for name in ("ttc_allocated", "titled", "paid", "outstanding")
        }

    @property
    def to_title(self) -> Decimal:
        """What is split on the commune and not titled yet."""
        return sum((row.ttc_allocated for row in self.rows if row.state is ShareState.TO_TITLE), Decimal(0))


def commune_ledger(actor: Actor, commune_id: int) -> Ledger:
    """Invoiced, titled, paid and outstanding for one commune, invoice by invoice; a share not
    titled yet is "à titrer", a titled one "reste dû" until it is paid ("soldé"), a cancelled one
    "annulé" (its title and counter-title net to zero)."""
    try:
        commune = invoice_scope.get_commune(actor, commune_id)
    except NotFound:
        raise NotFound("Commune introuvable.") from None
    shares = db.session.execute(shares_statement(actor, commune_id)).all()
    return Ledger(commune, ledger_rows(actor, commune_id, shares))


def shares_statement(actor: Actor, commune_id: int) -> Select:
    """The commune's shares of the invoices the actor reaches (invoice id, number, date, seller,
    TTC allocated), oldest first: the ledger's rows, one page of them or all."""
    reached = invoice_scope.invoices(actor).with_only_columns(Invoice.id)
    return (
        select(Invoice.id, Invoice.number, Invoice.issue_date, Invoice.seller_name, Allocation.ttc)
        .join(Allocation, Allocation.invoice_id == Invoice.id)
        .where(Allocation.commune_id == commune_id, Invoice.id.in_(reached))
        .order_by(Invoice.issue_date, Invoice.id)
    )


def ledger_rows(actor: Actor, commune_id: int, shares) -> list[LedgerRow]:
    """The ledger rows of these shares, with the commune's titles of their invoices only."""
    titles: dict[int, list[RecoveryTitle]] = {}
    invoice_ids = [share[0] for share in shares]
    for title in db.session.scalars(
        invoice_scope.titles(actor)
        .where(RecoveryTitle.commune_id == commune_id, RecoveryTitle.invoice_id.in_(invoice_ids))
        .order_by(RecoveryTitle.number)
    ):
        titles.setdefault(title.invoice_id, []).append(title)
    rows = []
    for invoice_id, number, issued, seller, ttc in shares:
        entries = titles.get(invoice_id, [])
        title = next((t for t in entries if t.kind is TitleKind.TITLE), None)
        counter = next((t for t in entries if t.kind is TitleKind.CANCELLATION), None)
        titled = sum((t.amount_ttc for t in entries), Decimal(0))
        paid = sum((t.paid_total for t in entries), Decimal(0))
        state = share_state(
            title is not None, title is not None and title.status is TitleStatus.CANCELLED, titled, paid
        )
        rows.append(
            LedgerRow(
                invoice_id,
                number,
                issued,
                seller,
                ttc,
                titled,
                paid,
                state,
                title.number if title else "",
                counter.number if counter else "",
            )
        )
    return rows


@dataclass(frozen=True)
class ContractReconciliation:
    contract: Contract
    ordered: Decimal
    delivered: Decimal
    invoiced: Decimal
    paid: Decimal


def contract_reconciliation(actor: Actor, contract_id: int) -> ContractReconciliation:
    """Ordered vs delivered vs invoiced vs paid, HT except paid (TTC recovered from the communes)."""
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    contract = db.session.scalar(contract_scope.contracts(actor).where(Contract.id == contract_id))
    if contract is None:
        raise NotFound("Marché introuvable.")
    reached = invoice_scope.invoices(actor).with_only_columns(Invoice.id)
    ordered_lines = db.session.execute(
        select(OrderLine.id, OrderLine.amount_ht, OrderLine.quantity, OrderLine.unit_price, OrderLine.eco_participation)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.contract_id == contract.id)
    ).all()
    delivered_qty = dict(
        db.session.execute(
            select(Delivery.order_line_id, func.sum(Delivery.quantity))
            .where(Delivery.order_line_id.in_([row.id for row in ordered_lines]))
            .group_by(Delivery.order_line_id)
        ).all()
    )
    invoiced = db.session.scalars(
        select(Invoice.total_ht).where(
            Invoice.contract_id == contract.id,
            Invoice.id.in_(reached),
            Invoice.status != InvoiceStatus.REJECTED,  # refused: nothing of it is owed
        )
    ).all()
    paid = db.session.scalars(
        select(Payment.amount)
        .join(RecoveryTitle, RecoveryTitle.id == Payment.title_id)
        .join(Invoice, Invoice.id == RecoveryTitle.invoice_id)
        .where(Invoice.contract_id == contract.id, Invoice.id.in_(reached))
    ).all()
    return ContractReconciliation(
        contract,
        ordered=sum((row.amount_ht for row in ordered_lines), Decimal(0)),
        delivered=sum(
            (
                to_cents(delivered_qty.get(row.id, 0) * (row.unit_price + row.eco_participation))
                for row in ordered_lines
            ),
            Decimal(0),
        ),
        invoiced=sum(invoiced, Decimal(0)),
        paid=sum(paid, Decimal(0)),
    )
