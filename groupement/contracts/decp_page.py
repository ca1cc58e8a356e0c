"""The DECP page: the due contracts in pages read in SQL (one COUNT with the total of their
maximum amounts, one LIMIT/OFFSET), only the page's contracts mapped to DECP entries to say which
will be exported and what the others miss. The file itself (contracts/decp_job.py) maps them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func

from groupement.contracts.decp import due_statement, map_due
from groupement.contracts.models import Contract
from groupement.core.access import Actor
from groupement.core.money import from_cents
from groupement.core.money_sql import money_cents
from groupement.extensions import db
from groupement.web.pagination import DEFAULT_PER_PAGE, ListPage


@dataclass(frozen=True)
class DueContract:
    """A due contract as the page lists it: exported, or left out with what it misses."""

    number: str
    label: str  # "<lot title> — <campaign title>"
    supplier_name: str
    notified_on: date
    maximum_amount: Decimal
    first_published_on: date | None
    missing: tuple[str, ...] = ()  # empty: the contract is in the file

    @property
    def exported(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class DecpPage:
    published_on: date
    contracts: ListPage  # of DueContract, oldest notified first
    maximum_total: Decimal  # of every due contract (every page)


def decp_page(today: date, actor: Actor, page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> DecpPage:
    statement = due_statement(today, actor)
    count, cents = db.session.execute(
        statement.with_only_columns(func.count(), func.sum(money_cents(Contract.maximum_amount))).order_by(None)
    ).one()
    rows = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page)).all()
    report = map_due(rows, today)
    missing = {problem.contract_number: tuple(problem.missing) for problem in report.problems}
    listed = [
        DueContract(
            contract.number,
            f"{lot.title} — {campaign.title}",
            supplier.name,
            contract.notified_on,
            contract.maximum_amount,
            contract.first_published_on,
            missing.get(contract.number, ()),
        )
        for contract, lot, campaign, _buyer, supplier in rows
    ]
    return DecpPage(today, ListPage(listed, page, per_page, count or 0), from_cents(cents))
