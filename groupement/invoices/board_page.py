"""The read side of the invoice board and of its export: the invoices' rows as columns, not ORM
objects (a page of them is rendered on every visit), the supplier and the contract joined in the
same SELECT (no query per row).

The tiles count every invoice by status in one GROUP BY that also sums them: without a search,
the filtered list is one status or all of them, so its count and totals come from those figures
and the board reads two queries (that GROUP BY and the page); a search adds one (the filtered
count and totals together). Every query starts from ledgers.invoices_query (invoices/scope.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Row, Select, func

from groupement.contracts.models import Contract
from groupement.core.access import Actor
from groupement.core.money import to_cents
from groupement.core.search_text import search_words
from groupement.extensions import db
from groupement.invoices.ledgers import invoices_query
from groupement.invoices.models import Invoice, supplier_label
from groupement.invoices.statements import BoardRow
from groupement.invoices.states import InvoiceKind, InvoiceStatus
from groupement.tenders.models import Supplier
from groupement.web.pagination import MAX_PER_PAGE, page_args

ZERO = Decimal("0.00")

ROW_COLUMNS = (
    Invoice.id,
    Invoice.number,
    Invoice.kind,
    Invoice.issue_date,
    Invoice.seller_name,
    Invoice.seller_siret,
    Supplier.name.label("supplier_record_name"),
    Invoice.status,
    Invoice.total_ht,
    Invoice.total_vat,
    Invoice.total_ttc,
    Invoice.contract_id,
    Contract.number.label("contract_number"),
    Invoice.file_name,
)


class BoardInvoice(NamedTuple):
    """What the board and its export show of an invoice. A named tuple: immutable, and made at a
    tuple's cost (a page of them on every visit)."""

    id: int
    number: str
    kind: InvoiceKind
    issue_date: date
    supplier_name: str
    status: InvoiceStatus
    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal
    contract_id: int | None
    contract_number: str | None
    file_name: str


@dataclass(frozen=True)
class Board:
    invoices: Pagination  # one page of the filtered invoices (items: BoardInvoice)
    total_ht: Decimal  # of every filtered invoice, in SQL
    total_vat: Decimal
    total_ttc: Decimal
    counts: dict[InvoiceStatus, int]  # every invoice, whatever the filters


class BoardPagination(Pagination):
    """A page of the board's SELECT, its total already counted (the tiles' GROUP BY or the filtered
    sums): no COUNT query of its own."""

    def _query_items(self) -> list[BoardInvoice]:
        statement = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        # On the connection: the rows as the driver gives them, without the ORM's result machinery.
        return invoice_rows(db.session.connection().execute(statement))

    def _query_count(self) -> int:
        return self._query_args["total"]


def board_statement(
    actor: Actor, status: InvoiceStatus | None = None, search: str = "", official_blocked: bool = False
) -> Select:
    """The scoped, filtered, ordered invoices as ROW_COLUMNS, their supplier record and contract joined."""
    return (
        invoices_query(actor, status, search, official_blocked)
        .with_only_columns(*ROW_COLUMNS)
        .outerjoin(Supplier, Supplier.id == Invoice.supplier_id)
        .outerjoin(Contract, Contract.id == Invoice.contract_id)
    )


def invoice_rows(rows: Iterable[Row]) -> list[BoardInvoice]:
    """Rows of ROW_COLUMNS, unpacked by position (a row's attributes are looked up by name)."""
    return [
        BoardInvoice(
            invoice_id,
            number,
            kind,
            issue_date,
            supplier_label(seller_name, seller_siret, supplier_record_name),
            status,
            total_ht,
            total_vat,
            total_ttc,
            contract_id,
            contract_number,
            file_name,
        )
        for (
            invoice_id,
            number,
            kind,
            issue_date,
            seller_name,
            seller_siret,
            supplier_record_name,
            status,
            total_ht,
            total_vat,
            total_ttc,
            contract_id,
            contract_number,
            file_name,
        ) in rows
    ]


def _sums(statement: Select, *group_by) -> list[Row]:
    """count, HT, VAT and TTC of a scoped SELECT of invoices (per group_by), in one query."""
    return (
        db.session.connection()
        .execute(
            statement.order_by(None)
            .with_only_columns(
                *group_by,
                func.count(),
                func.coalesce(func.sum(Invoice.total_ht), 0),
                func.coalesce(func.sum(Invoice.total_vat), 0),
                func.coalesce(func.sum(Invoice.total_ttc), 0),
            )
            .group_by(*group_by)
        )
        .all()
    )


def invoice_board(
    actor: Actor, status: InvoiceStatus | None = None, search: str = "", official_blocked: bool = False
) -> Board:
    per_status = {
        row[0]: (row[1], *(to_cents(Decimal(value)) for value in row[2:]))
        for row in _sums(invoices_query(actor), Invoice.status)
    }
    if official_blocked or search_words(search):
        count, *totals = _sums(invoices_query(actor, status, search, official_blocked))[0]
        totals = [to_cents(Decimal(value)) for value in totals]
    else:  # one status, or all of them: their figures are the filtered list's
        shown = [figures for key, figures in per_status.items() if status is None or key is status]
        count = sum(figures[0] for figures in shown)
        totals = [sum((figures[n] for figures in shown), ZERO) for n in (1, 2, 3)]
    page, per_page = page_args()
    invoices = BoardPagination(
        page=page,
        per_page=per_page,
        max_per_page=MAX_PER_PAGE,
        error_out=False,
        select=board_statement(actor, status, search, official_blocked),
        total=count,
    )
    return Board(invoices, *totals, {s: per_status.get(s, (0,))[0] for s in InvoiceStatus})


def board_rows(
    actor: Actor, status: InvoiceStatus | None = None, search: str = "", official_blocked: bool = False
) -> list[BoardRow]:
    """Every filtered invoice for the board's .xlsx export."""
    return [
        BoardRow(
            number=invoice.number,
            kind=invoice.kind.label,
            issue_date=invoice.issue_date,
            supplier=invoice.supplier_name,
            status=invoice.status.label,
            total_ht=invoice.total_ht,
            total_vat=invoice.total_vat,
            total_ttc=invoice.total_ttc,
            contract=invoice.contract_number or "",
            file_name=invoice.file_name,
        )
        for invoice in invoice_rows(db.session.execute(board_statement(actor, status, search, official_blocked)))
    ]
