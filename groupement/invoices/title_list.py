"""The recovery titles list (/factures/titres): every title of the coordinator, filtered in SQL by
state, commune, year of issue and words, one page at a time; the same filters select what the
CSV and Excel exports write (pages.title_rows), every filtered title and not one page."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, and_, extract, func, or_, select
from sqlalchemy.orm import selectinload

from groupement.core.access import Actor
from groupement.core.errors import Forbidden
from groupement.core.search import contains
from groupement.core.search_text import search_words
from groupement.extensions import db
from groupement.invoices import scope as invoice_scope
from groupement.invoices.models import Invoice, RecoveryTitle
from groupement.invoices.scope import ACCOUNTING_ROLES
from groupement.invoices.title_rules import TitleKind, TitleStatus
from groupement.organisations.models import Organisation
from groupement.web.pagination import Choice, capped_choices, paginate


class TitleListState(StrEnum):
    """What the list filters by: the state a title's row shows (pages.title_state)."""

    OUTSTANDING = "du"
    SETTLED = "solde"
    CANCELLED = "annule"
    COUNTER = "annulation"

    @property
    def label(self) -> str:
        return {"du": "reste dû", "solde": "soldé", "annule": "annulé", "annulation": "titre d'annulation"}[self.value]


@dataclass(frozen=True)
class TitleFilters:
    search: str = ""  # words of the title's number, the invoice's number or its seller
    state: TitleListState | None = None
    commune_id: int | None = None
    year: int | None = None  # the year of issue
    invoice_id: int | None = None


def _state_condition(state: TitleListState):
    title = RecoveryTitle.kind == TitleKind.TITLE
    issued = RecoveryTitle.status == TitleStatus.ISSUED
    return {
        TitleListState.OUTSTANDING: and_(title, issued, RecoveryTitle.paid_total < RecoveryTitle.amount_ttc),
        TitleListState.SETTLED: and_(title, issued, RecoveryTitle.paid_total >= RecoveryTitle.amount_ttc),
        TitleListState.CANCELLED: and_(title, RecoveryTitle.status == TitleStatus.CANCELLED),
        TitleListState.COUNTER: RecoveryTitle.kind == TitleKind.CANCELLATION,
    }[state]


def titles_statement(actor: Actor, filters: TitleFilters) -> Select:
    """The actor's titles (invoices/scope.py) that pass the filters, by number."""
    if actor.role not in ACCOUNTING_ROLES:
        raise Forbidden("Action réservée à la comptabilité.")
    statement = invoice_scope.titles(actor)
    if filters.state is not None:
        statement = statement.where(_state_condition(filters.state))
    if filters.commune_id is not None:
        statement = statement.where(RecoveryTitle.commune_id == filters.commune_id)
    if filters.year is not None:
        statement = statement.where(extract("year", RecoveryTitle.issued_at) == filters.year)
    if filters.invoice_id is not None:
        statement = statement.where(RecoveryTitle.invoice_id == filters.invoice_id)
    for word in search_words(filters.search):
        statement = statement.where(
            or_(contains(func.lower(RecoveryTitle.number), word), contains(Invoice.search_key, word))
        )
    return statement.order_by(RecoveryTitle.number, RecoveryTitle.id)


def titles_page(actor: Actor, filters: TitleFilters) -> Pagination:
    statement = titles_statement(actor, filters).options(
        selectinload(RecoveryTitle.commune), selectinload(RecoveryTitle.invoice), selectinload(RecoveryTitle.cancels)
    )
    return paginate(statement)


@dataclass(frozen=True)
class TitleChoices:
    communes: list[Choice]
    years: list[int]


def title_choices(actor: Actor) -> TitleChoices:
    """What the titles' filters offer: the communes and years of the actor's titles."""
    reached = titles_statement(actor, TitleFilters()).with_only_columns(RecoveryTitle.id).order_by(None).subquery()
    of_reached = RecoveryTitle.id.in_(select(reached.c.id))
    communes = capped_choices(
        select(Organisation.id, Organisation.name)
        .join(RecoveryTitle, RecoveryTitle.commune_id == Organisation.id)
        .where(of_reached)
        .distinct()
        .order_by(Organisation.name)
    )
    years = db.session.scalars(select(extract("year", RecoveryTitle.issued_at)).where(of_reached).distinct()).all()
    return TitleChoices(communes, sorted({int(y) for y in years}, reverse=True))
