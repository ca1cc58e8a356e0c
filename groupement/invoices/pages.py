"""Read-only views of the invoices for the pages and exports: an invoice with its checks, split
and titles, the statements and titles as io/ documents, a commune's payments (the board and its
export: invoices/board_page.py).

Nothing here writes: the use cases are in invoices/importing.py, matching.py, splitting.py and
recovery.py. Every query goes through invoices/scope.py: the accounting roles (accountant,
coordinator, admin) see their own coordinator's invoices; a commune's users reach only their own
commune's statements and ledger (anything else is NotFound, a 404).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from groupement.contracts.models import OrderLine
from groupement.core.access import Actor
from groupement.core.errors import Forbidden, NotFound
from groupement.core.formatting import name_key, slug
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.invoices import scope as invoice_scope
from groupement.invoices.ledgers import commune_statement, invoice_detail
from groupement.invoices.matching import COORDINATOR_DECISIONS, anomalies, blocking_checks, split_blockers
from groupement.invoices.models import (
    Allocation,
    AllocationLine,
    Invoice,
    InvoiceCheck,
    Payment,
    RecoveryTitle,
    ServiceFait,
)
from groupement.invoices.official_findings import OfficialCheck, official_check
from groupement.invoices.scope import ACCOUNTING_ROLES
from groupement.invoices.statements import StatementDocument, StatementLine, StatementTitle, TitleRow
from groupement.invoices.states import InvoiceStatus, can_move
from groupement.invoices.title_list import TitleFilters, titles_statement
from groupement.invoices.title_rules import TitleStatus
from groupement.organisations.models import Organisation
from groupement.web.pagination import ListPage, page_args, paginate_list

ZERO = Decimal("0.00")
# The invoice page's long lists come in pages (issue 14: no page over about 300 KB): an invoice
# split among 1 000 communes has 1 000 shares and 1 000 titles, each title with its payment and
# cancellation forms (about 2,5 KB of HTML a title), and an invoice may have thousands of lines.
COMMUNES_PER_PAGE = 50
TITLES_PER_PAGE = 25
LINES_PER_PAGE = 100


def _require_accounting(actor: Actor) -> None:
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")


# --- one invoice ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VatRow:
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Trace:
    """Part of a commune's share: an invoice line tied to an order line, with the order, what the
    commune certified as delivered and the contract price it was checked against."""

    commune: str
    line_key: str
    description: str
    ht: Decimal
    order_number: str
    order_id: int
    quantity: Decimal | None
    unit_price: Decimal | None
    contract_price: Decimal | None
    eco_participation: Decimal | None
    ordered: int
    delivered: int
    certified: int


@dataclass(frozen=True)
class InvoicePage:
    invoice: Invoice
    vat: list[VatRow]  # per rate (categories at the same rate added up)
    checks: list[InvoiceCheck]
    blocking: list[InvoiceCheck]
    allocations: list[Allocation]  # by commune name
    split_rates: list[Decimal]
    titles: list[RecoveryTitle]  # by commune name
    members: list[Organisation]  # the member communes, for the split form (none when it is not shown)
    has_shared_lines: bool  # lines not tied to an order, or document charges/allowances
    anomalies: list[InvoiceCheck] = field(default_factory=list)  # blocking ones first, then resolved
    passing: list[InvoiceCheck] = field(default_factory=list)  # the checks that hold, and the warnings
    blockers: list[str] = field(default_factory=list)  # why the split waits (split_blockers)
    traces: list[Trace] = field(default_factory=list)  # the shown communes' euros back to order and price
    coordinator_decides: frozenset[str] = COORDINATOR_DECISIONS
    official: OfficialCheck | None = None  # the official EN 16931 rules' result (official_findings)
    # The pages shown of the lists above (the totals and counts are those of the whole lists).
    allocation_page: ListPage = field(default_factory=lambda: ListPage([], 1, COMMUNES_PER_PAGE, 0))
    title_page: ListPage = field(default_factory=lambda: ListPage([], 1, TITLES_PER_PAGE, 0))
    line_page: ListPage = field(default_factory=lambda: ListPage([], 1, LINES_PER_PAGE, 0))

    @property
    def can_reject(self) -> bool:
        return can_move(self.invoice.status, InvoiceStatus.REJECTED)

    @property
    def can_match(self) -> bool:
        return can_move(self.invoice.status, InvoiceStatus.CHECKED)

    @property
    def can_split(self) -> bool:
        return _splittable(self.invoice, self.blockers)

    @property
    def can_resolve(self) -> bool:
        return can_move(self.invoice.status, InvoiceStatus.CHECKED)

    @property
    def can_issue_titles(self) -> bool:
        return can_move(self.invoice.status, InvoiceStatus.RECOVERED)

    def allocation_vat(self, allocation: Allocation, rate: Decimal) -> Decimal:
        return sum((v.amount for v in allocation.vat_lines if v.rate == rate), ZERO)

    @property
    def split_totals(self) -> dict[str, Decimal]:
        return {
            "ht": sum((a.ht for a in self.allocations), ZERO),
            "vat": sum((a.vat for a in self.allocations), ZERO),
            "ttc": sum((a.ttc for a in self.allocations), ZERO),
        }

    def split_vat_total(self, rate: Decimal) -> Decimal:
        return sum((self.allocation_vat(a, rate) for a in self.allocations), ZERO)

    @staticmethod
    def paid(title: RecoveryTitle) -> Decimal:
        return title.paid_total


def invoice_page(actor: Actor, invoice_id: int, title_shown: int | None = None) -> InvoicePage:
    """The invoice with its checks, split and titles; the communes' shares, their traces, the
    titles and the lines a page each (`page_communes`, `page_titres`, `page_lignes` in the query
    string), or the page of titles holding `title_shown` (a title's form refused, shown again)."""
    invoice = invoice_detail(actor, invoice_id)
    allocations = list(
        db.session.scalars(
            invoice_scope.allocations(actor)
            .where(Allocation.invoice_id == invoice.id)
            .options(selectinload(Allocation.vat_lines), selectinload(Allocation.commune))
        )
    )
    allocations.sort(key=lambda a: name_key(a.commune.name))
    titles = list(
        db.session.scalars(
            invoice_scope.titles(actor)
            .where(RecoveryTitle.invoice_id == invoice.id)
            .options(selectinload(RecoveryTitle.payments), selectinload(RecoveryTitle.commune))
            .order_by(RecoveryTitle.number)
        )
    )
    titles.sort(key=lambda t: name_key(t.commune.name))
    found = anomalies(invoice)
    blocking = blocking_checks(invoice)
    shown_allocations = paginate_list(allocations, COMMUNES_PER_PAGE, page_arg="page_communes")
    blockers = split_blockers(invoice)
    # The member communes only serve the split form, shown while the invoice can be split (1 000
    # organisations read and mapped on every visit of a split invoice otherwise).
    return InvoicePage(
        invoice=invoice,
        vat=_vat_rows(invoice),
        checks=list(invoice.checks),
        blocking=blocking,
        allocations=allocations,
        split_rates=sorted({v.rate for a in allocations for v in a.vat_lines}),
        titles=titles,
        members=member_communes(actor) if _splittable(invoice, blockers) else [],
        has_shared_lines=any(line.commune_id is None for line in invoice.lines) or bool(invoice.allowances_charges),
        anomalies=blocking + [c for c in found if c not in blocking],
        passing=[c for c in invoice.checks if c not in found],
        blockers=blockers,
        traces=_traces(shown_allocations.items),
        official=official_check(invoice.id),
        allocation_page=shown_allocations,
        title_page=_titles_page(titles, title_shown),
        line_page=paginate_list(list(invoice.lines), LINES_PER_PAGE, page_arg="page_lignes"),
    )


def _splittable(invoice: Invoice, blockers: list[str]) -> bool:
    """Whether the split form is shown: the invoice may move to SPLIT and nothing blocks it."""
    return can_move(invoice.status, InvoiceStatus.SPLIT) and not blockers


def _titles_page(titles: list[RecoveryTitle], shown: int | None) -> ListPage:
    """The page of titles asked for, or the one holding the title `shown`."""
    position = next((index for index, title in enumerate(titles) if title.id == shown), None)
    if position is None:
        return paginate_list(titles, TITLES_PER_PAGE, page_arg="page_titres")
    _, per_page = page_args(TITLES_PER_PAGE, "page_titres")
    number = position // per_page + 1
    return ListPage(titles[(number - 1) * per_page : number * per_page], number, per_page, len(titles))


def _traces(allocations: list[Allocation]) -> list[Trace]:
    if not allocations:
        return []
    lines = db.session.scalars(
        select(AllocationLine)
        .where(AllocationLine.allocation_id.in_([a.id for a in allocations]), AllocationLine.order_line_id.is_not(None))
        .options(
            selectinload(AllocationLine.order_line).selectinload(OrderLine.deliveries),
            selectinload(AllocationLine.order_line).joinedload(OrderLine.order),
            selectinload(AllocationLine.contract_price),
        )
    ).all()
    delivery_ids = [d.id for line in lines for d in line.order_line.deliveries]
    certified = set(
        db.session.scalars(select(ServiceFait.delivery_id).where(ServiceFait.delivery_id.in_(delivery_ids)))
    )
    communes = {a.id: a.commune.name for a in allocations}
    traces = [
        Trace(
            commune=communes[line.allocation_id],
            line_key=line.line_key,
            description=line.description,
            ht=line.ht,
            order_number=line.order_line.order.number,
            order_id=line.order_line.order_id,
            quantity=line.quantity,
            unit_price=line.unit_price,
            contract_price=line.contract_price.unit_price if line.contract_price else None,
            eco_participation=line.contract_price.eco_participation if line.contract_price else None,
            ordered=line.order_line.quantity,
            delivered=sum(d.quantity for d in line.order_line.deliveries),
            certified=sum(d.quantity for d in line.order_line.deliveries if d.id in certified),
        )
        for line in lines
    ]
    return sorted(traces, key=lambda t: (name_key(t.commune), int(t.line_key[1:] or 0)))


def _vat_rows(invoice: Invoice) -> list[VatRow]:
    rows: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for v in invoice.vat:
        base, amount = rows.get(v.rate, (ZERO, ZERO))
        rows[v.rate] = (base + v.base, amount + v.amount)
    return [VatRow(rate, base, amount) for rate, (base, amount) in sorted(rows.items())]


def vat_by_rate(invoice: Invoice) -> dict[Decimal, Decimal]:
    """The invoice's VAT per rate (for the command line's JSON)."""
    return {row.rate: row.amount for row in _vat_rows(invoice)}


def member_communes(actor: Actor) -> list[Organisation]:
    """The member communes of the actor's coordinator's groupements, by name (the split form)."""
    communes = [c for c in invoice_scope.member_communes(actor) if c.insee_code is not None]
    return sorted(communes, key=lambda c: name_key(c.name))


# --- statements -----------------------------------------------------------------------------------


def statement_document(actor: Actor, invoice_id: int, commune_id: int) -> tuple[StatementDocument, str]:
    """A commune's statement as an io/ document, and a file name stem; NotFound out of scope."""
    statement = commune_statement(actor, invoice_id, commune_id)
    invoice, commune, allocation = statement.invoice, statement.commune, statement.allocation
    whole = {f"L{line.position}" for line in invoice.lines if line.commune_id is not None}
    positions = {f"L{line.position}": line.position for line in invoice.lines}
    lines = sorted(statement.lines, key=lambda line: (line.line_key[0], positions.get(line.line_key, 0), line.line_key))
    document = StatementDocument(
        invoice_number=invoice.number,
        invoice_kind=invoice.kind.label,
        invoice_date=invoice.issue_date,
        supplier=invoice.supplier_name,
        invoice_total_ttc=invoice.total_ttc,
        commune_name=commune.name,
        commune_insee=commune.insee_code or "",
        commune_siren=commune.siren,
        key_label=statement.key_label,
        lines=[
            StatementLine(
                reference=line.line_key,
                description=line.description,
                account=line.account,
                vat_rate=line.vat_rate,
                ht=line.ht,
                shared=line.line_key not in whole,
                quantity=line.quantity,
                unit_price=line.unit_price,
                order_number=line.order_line.order.number if line.order_line_id else "",
            )
            for line in lines
        ],
        vat=[(v.rate, v.base, v.amount) for v in allocation.vat_lines],
        total_ht=allocation.ht,
        total_vat=allocation.vat,
        total_ttc=allocation.ttc,
        issued_on=paris_today(),
        titles=[
            StatementTitle(
                number=t.number,
                label=f"titre d'annulation du titre {t.cancels.number} ({t.reason})" if t.cancels_id else t.kind.label,
                amount_ttc=t.amount_ttc,
                due_date=t.due_date,
                state=title_state(t),
            )
            for t in db.session.scalars(
                invoice_scope.titles(actor)
                .where(RecoveryTitle.invoice_id == invoice.id, RecoveryTitle.commune_id == commune.id)
                .order_by(RecoveryTitle.number)
            )
        ],
    )
    stem = f"etat-repartition-{slug(invoice.number, default='facture')}-{commune.insee_code or commune.id}"
    return document, stem


# --- titles and payments -------------------------------------------------------------------------


def title_rows(
    actor: Actor,
    invoice_id: int | None = None,
    filters: TitleFilters | None = None,
    invoice_ids: list[int] | None = None,
) -> list[TitleRow]:
    """Every recovery title that passes the filters (or one invoice's, or some invoices'), by
    number, for the accounting software: the whole filtered list, not one page of it."""
    _require_accounting(actor)
    filters = filters or TitleFilters()
    if invoice_id is not None:
        invoice_detail(actor, invoice_id)  # NotFound for an unknown invoice
        filters = replace(filters, invoice_id=invoice_id)
    statement = titles_statement(actor, filters).options(
        selectinload(RecoveryTitle.payments),
        selectinload(RecoveryTitle.commune),
        selectinload(RecoveryTitle.invoice),
        selectinload(RecoveryTitle.cancels),
    )
    if invoice_ids is not None:
        statement = statement.where(RecoveryTitle.invoice_id.in_(invoice_ids))
    return [
        TitleRow(
            number=t.number,
            commune_name=t.commune.name,
            commune_siren=t.commune.siren,
            object=t.object,
            amount_ttc=t.amount_ttc,
            account=t.account,
            invoice_reference=t.invoice.number,
            due_date=t.due_date,
            paid=t.paid_total,
            nature="annulation" if t.cancels_id else "titre",
            cancels=t.cancels.number if t.cancels_id else "",
            state=title_state(t),
        )
        for t in db.session.scalars(statement)
    ]


def title_state(title: RecoveryTitle) -> str:
    """ "reste dû", "soldé" or "annulé"; "" for a counter-title (it only cancels)."""
    if title.cancels_id:
        return ""
    if title.status is TitleStatus.CANCELLED:
        return TitleStatus.CANCELLED.label
    return "soldé" if title.paid_total == title.amount_ttc else "reste dû"


@dataclass(frozen=True)
class CommunePayments:
    titles: list[RecoveryTitle]  # with their payments and invoice
    payments: list[Payment]  # by date


def commune_payments(actor: Actor, commune_id: int) -> CommunePayments:
    """The commune's titles and the payments recorded on them; a commune's users: their own only."""
    try:
        invoice_scope.get_commune(actor, commune_id)
    except NotFound:
        raise NotFound("Commune introuvable.") from None
    titles = list(
        db.session.scalars(
            invoice_scope.titles(actor)
            .where(RecoveryTitle.commune_id == commune_id)
            .options(selectinload(RecoveryTitle.payments), selectinload(RecoveryTitle.invoice))
            .order_by(RecoveryTitle.number)
        )
    )
    payments = sorted((p for t in titles for p in t.payments), key=lambda p: (p.paid_on, p.id))
    return CommunePayments(titles, payments)


def check_of(actor: Actor, check_id: int) -> InvoiceCheck:
    _require_accounting(actor)
    return invoice_scope.get_check(actor, check_id)


def title_of(actor: Actor, title_id: int) -> RecoveryTitle:
    _require_accounting(actor)
    return invoice_scope.get_title(actor, title_id, "Titre de recettes introuvable.")


def contract_invoices(actor: Actor, contract_id: int) -> list[Invoice]:
    """The invoices matched to a contract, newest first."""
    _require_accounting(actor)
    return list(
        db.session.scalars(
            invoice_scope.invoices(actor)
            .where(Invoice.contract_id == contract_id)
            .order_by(Invoice.issue_date.desc(), Invoice.id)
        )
    )
