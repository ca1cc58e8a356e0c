"""A commune's ledger as its page shows it: each of its three lists (invoices, titles, payments)
paged in SQL (one COUNT, one LIMIT/OFFSET), the totals summed by the database over the whole
ledger in whole cents (core/money_sql.py), so that a commune of thousands of invoices loads one
page of each list, never every row."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from groupement.core.access import Actor
from groupement.core.errors import NotFound
from groupement.core.money import from_cents
from groupement.core.money_sql import money_cents
from groupement.extensions import db
from groupement.invoices import scope as invoice_scope
from groupement.invoices.ledgers import ledger_rows, shares_statement
from groupement.invoices.models import Payment, RecoveryTitle
from groupement.invoices.title_rules import TitleKind
from groupement.organisations.models import Organisation
from groupement.web.pagination import ListPage, paginate, paginate_rows


@dataclass(frozen=True)
class LedgerTotals:
    """The whole ledger's sums (every page)."""

    ttc_allocated: Decimal
    titled: Decimal
    paid: Decimal
    to_title: Decimal  # split on the commune, no title issued yet

    @property
    def outstanding(self) -> Decimal:
        return self.titled - self.paid


@dataclass(frozen=True)
class LedgerPage:
    commune: Organisation
    rows: ListPage  # of ledgers.LedgerRow
    totals: LedgerTotals
    titles: Pagination  # of RecoveryTitle, by number
    payments: Pagination  # of Payment, by date


def ledger_page(actor: Actor, commune_id: int) -> LedgerPage:
    """The commune's ledger, one page of each list (`page`, `page_titres`, `page_encaissements`)."""
    try:
        commune = invoice_scope.get_commune(actor, commune_id)
    except NotFound:
        raise NotFound("Commune introuvable.") from None
    shares = paginate_rows(shares_statement(actor, commune_id), page_arg="page")
    rows = ListPage(ledger_rows(actor, commune_id, shares.items), shares.page, shares.per_page, shares.total)
    titles = invoice_scope.titles(actor).where(RecoveryTitle.commune_id == commune_id)
    title_page = paginate(
        titles.options(selectinload(RecoveryTitle.invoice), selectinload(RecoveryTitle.cancels)).order_by(
            RecoveryTitle.number
        ),
        page_arg="page_titres",
    )
    payments = (
        invoice_scope.payments(actor)
        .where(Payment.title_id.in_(titles.with_only_columns(RecoveryTitle.id)))
        .options(selectinload(Payment.title).selectinload(RecoveryTitle.invoice))
        .order_by(Payment.paid_on, Payment.id)
    )
    payment_page = paginate(payments, page_arg="page_encaissements")
    return LedgerPage(commune, rows, _totals(actor, commune_id), title_page, payment_page)


def _totals(actor: Actor, commune_id: int) -> LedgerTotals:
    """Three aggregate queries over the commune's shares and the titles of their invoices."""
    shares = shares_statement(actor, commune_id).order_by(None).subquery()
    titles = (
        invoice_scope.titles(actor)
        .where(RecoveryTitle.commune_id == commune_id, RecoveryTitle.invoice_id.in_(select(shares.c.id)))
        .subquery()
    )
    titled, paid = db.session.execute(
        select(func.sum(money_cents(titles.c.amount_ttc)), func.sum(money_cents(titles.c.paid_total)))
    ).one()
    has_title = select(titles.c.invoice_id).where(titles.c.kind == TitleKind.TITLE)
    allocated, to_title = db.session.execute(
        select(
            func.sum(money_cents(shares.c.ttc)),
            func.sum(case((shares.c.id.in_(has_title), 0), else_=money_cents(shares.c.ttc))),
        )
    ).one()
    return LedgerTotals(from_cents(allocated), from_cents(titled), from_cents(paid), from_cents(to_title))
