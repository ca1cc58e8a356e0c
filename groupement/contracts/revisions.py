"""Price revision: the contract's formula, the index values (entered or imported), the revisions
computed with their revised prices (kept: the history), and the price in force on a day.

The price in force for an order placed at `as_of` on day `day` (Paris) is that of the latest
revision due on `day` (revision_rules.due_number) computed before `as_of`; when the due revision
is not computed (an index missing), the previous prices stay and the reason is given (the order
keeps it in Order.price_note)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from groupement.contracts.awards import editable_contract
from groupement.contracts.index_file import IndexRow, read_index_file
from groupement.contracts.life_models import (
    PriceIndexValue,
    PriceRevision,
    RevisedPrice,
    RevisionFormula,
    RevisionTerm,
)
from groupement.contracts.models import Contract, ContractPrice
from groupement.contracts.revision_rules import (
    Formula,
    Revision,
    RevisionRefused,
    Term,
    coefficient,
    due_number,
    index_month,
    missing_values,
    month_of,
    parse_index_code,
    parse_index_value,
    price_in_force_reason,
    revised_price,
    revision_start,
)
from groupement.contracts.rules import PriceType
from groupement.core import audit
from groupement.core.access import Actor
from groupement.core.errors import ImportRejected
from groupement.core.timeutil import paris_today, utcnow
from groupement.extensions import db


def formula_of(contract_id: int) -> RevisionFormula | None:
    return db.session.scalar(
        select(RevisionFormula)
        .where(RevisionFormula.contract_id == contract_id)
        .options(selectinload(RevisionFormula.terms))
    )


def as_formula(row: RevisionFormula) -> Formula:
    return Formula(
        row.fixed_part,
        tuple(Term(t.index_code, t.weight) for t in row.terms),
        row.base_month,
        row.period_months,
    )


def set_formula(
    actor: Actor,
    contract_id: int,
    fixed_part: Decimal,
    terms: Sequence[tuple[str, Decimal]],
    base_month: date,
    period_months: int = 12,
) -> RevisionFormula:
    """The contract's revision formula; the contract becomes « prix révisable ». Fixed once a
    revision is computed."""
    contract = editable_contract(actor, contract_id)
    if _revisions(contract.id):
        raise RevisionRefused("Une révision est déjà calculée : la formule ne se modifie plus.")
    formula = Formula(
        fixed_part,
        tuple(Term(parse_index_code(code, "Indice"), weight) for code, weight in terms),
        month_of(base_month),
        period_months,
    )
    formula.check()
    row = formula_of(contract.id)
    if row is None:
        row = RevisionFormula(contract_id=contract.id, fixed_part=fixed_part, base_month=formula.base_month)
        db.session.add(row)
    row.fixed_part, row.base_month, row.period_months = fixed_part, formula.base_month, period_months
    if row.terms:  # the old terms go first: the same index may come back (unique per formula)
        row.terms = []
        db.session.flush()
    row.terms = [
        RevisionTerm(position=i, index_code=t.index_code, weight=t.weight) for i, t in enumerate(formula.terms, 1)
    ]
    contract.price_type = PriceType.REVISABLE
    db.session.flush()
    audit.record(actor.user_id, "contract.revision_formula", "contract", contract.id, after={"formula": formula.text()})
    return row


# --- index values ------------------------------------------------------------------------------------


def _index_values(coordinator_id: int, codes: Sequence[str]) -> dict[tuple[str, date], Decimal]:
    rows = db.session.execute(
        select(PriceIndexValue.index_code, PriceIndexValue.month, PriceIndexValue.value).where(
            PriceIndexValue.coordinator_id == coordinator_id, PriceIndexValue.index_code.in_(list(codes))
        )
    ).all()
    return {(code, month): value for code, month, value in rows}


def record_index_value(actor: Actor, contract_id: int, code: str, month: date, value: object) -> PriceIndexValue:
    """One index value for a month (the coordinator's own table), entered from a contract's page."""
    editable_contract(actor, contract_id)
    return _store(
        actor, [IndexRow(0, parse_index_code(code, "Indice"), month_of(month), parse_index_value(value, "Valeur"))]
    )[0]


def import_index_values(actor: Actor, contract_id: int, content: bytes, file_name: str) -> int:
    """Every value of the file, or nothing (ImportRejected listing each problem)."""
    editable_contract(actor, contract_id)
    rows, issues = read_index_file(content, file_name)
    if issues:
        raise ImportRejected(issues)
    return len(_store(actor, rows))


def _store(actor: Actor, rows: Sequence[IndexRow]) -> list[PriceIndexValue]:
    stored = []
    existing = {
        (r.index_code, r.month): r
        for r in db.session.scalars(
            select(PriceIndexValue).where(
                PriceIndexValue.coordinator_id == actor.organisation_id,
                PriceIndexValue.index_code.in_({row.code for row in rows}),
            )
        )
    }
    for row in rows:
        value = existing.get((row.code, row.month))
        before = None if value is None else {"value": value.value}
        if value is None:
            value = PriceIndexValue(coordinator_id=actor.organisation_id, index_code=row.code, month=row.month)
            db.session.add(value)
        value.value, value.recorded_by_id, value.recorded_at = row.value, actor.user_id, utcnow()
        stored.append((value, before))
    db.session.flush()
    for value, before in stored:
        audit.record(
            actor.user_id,
            "price_index.value",
            "price_index_value",
            value.id,
            before=before,
            after={"code": value.index_code, "month": value.month, "value": value.value},
        )
    return [value for value, _ in stored]


# --- revisions ----------------------------------------------------------------------------------------


def _revisions(contract_id: int) -> list[PriceRevision]:
    return list(
        db.session.scalars(
            select(PriceRevision)
            .where(PriceRevision.contract_id == contract_id)
            .order_by(PriceRevision.number)
            .options(selectinload(PriceRevision.prices))
        )
    )


@dataclass(frozen=True)
class ComputeResult:
    computed: list[PriceRevision]
    missing: list[str]  # why the next due revision could not be computed


def compute_revisions(actor: Actor, contract_id: int, today: date | None = None) -> ComputeResult:
    """Every revision due by today and not computed yet, in order, until an index is missing."""
    today = today or paris_today()
    contract = editable_contract(actor, contract_id)
    db.session.scalar(select(Contract.id).where(Contract.id == contract.id).with_for_update())
    row = formula_of(contract.id)
    if row is None:
        raise RevisionRefused("Aucune formule de révision : saisissez-la d'abord.")
    formula = as_formula(row)
    values = _index_values(_owner(contract), [t.index_code for t in formula.terms])
    done = {r.number for r in _revisions(contract.id)}
    due = due_number(contract.start_date, formula.period_months, min(today, contract.execution_period.end))
    prices = list(db.session.scalars(select(ContractPrice).where(ContractPrice.contract_id == contract.id)))
    computed: list[PriceRevision] = []
    for number in range(1, due + 1):
        if number in done:
            continue
        missing = missing_values(formula, number, values)
        if missing:
            return ComputeResult(computed, [f"révision n° {number} : " + ", ".join(missing)])
        value = coefficient(formula, number, values)
        revision = PriceRevision(
            contract_id=contract.id,
            number=number,
            applies_from=revision_start(contract.start_date, formula.period_months, number),
            index_month=index_month(formula, number),
            coefficient=value,
            computed_by_id=actor.user_id,
            prices=[
                RevisedPrice(contract_price_id=p.id, unit_price=revised_price(p.unit_price, value)) for p in prices
            ],
        )
        db.session.add(revision)
        db.session.flush()
        audit.record(
            actor.user_id,
            "contract.price_revision",
            "contract",
            contract.id,
            after={"number": number, "coefficient": value, "applies_from": revision.applies_from},
        )
        computed.append(revision)
    return ComputeResult(computed, [])


@dataclass(frozen=True)
class PricesInForce:
    revision: int  # 0: the initial prices
    unit_prices: dict[int, Decimal]  # contract price id -> unit price HT
    note: str  # why the due revision is not applied, or ""


def prices_in_force(contract: Contract, day: date, as_of: datetime | None = None) -> PricesInForce:
    """The unit prices of a contract (reached through scope) for an order of `day` placed at `as_of`."""
    base = {
        p.id: p.unit_price
        for p in db.session.scalars(select(ContractPrice).where(ContractPrice.contract_id == contract.id))
    }
    row = formula_of(contract.id)
    if row is None:
        return PricesInForce(0, base, "")
    formula = as_formula(row)
    revisions = [r for r in _revisions(contract.id) if as_of is None or r.computed_at <= as_of]
    due = due_number(contract.start_date, formula.period_months, day)
    missing: list[str] = []
    if due and due not in {r.number for r in revisions}:
        values = _index_values(_owner(contract), [t.index_code for t in formula.terms])
        missing = missing_values(formula, due, values)
    used, note = price_in_force_reason(
        due,
        [Revision(r.number, r.applies_from) for r in revisions],
        contract.start_date,
        formula.period_months,
        missing,
    )
    if used == 0:
        return PricesInForce(0, base, note)
    revision = next(r for r in revisions if r.number == used)
    return PricesInForce(used, {**base, **{p.contract_price_id: p.unit_price for p in revision.prices}}, note)


def revision_history(contract: Contract) -> list[PriceRevision]:
    return _revisions(contract.id)


def index_values_for(contract: Contract) -> list[PriceIndexValue]:
    row = formula_of(contract.id)
    if row is None:
        return []
    return list(
        db.session.scalars(
            select(PriceIndexValue)
            .where(
                PriceIndexValue.coordinator_id == _owner(contract),
                PriceIndexValue.index_code.in_([t.index_code for t in row.terms]),
            )
            .order_by(PriceIndexValue.index_code, PriceIndexValue.month)
        )
    )


def _owner(contract: Contract) -> int:
    """The coordinator whose index table the contract uses: its campaign's coordinator."""
    return contract.lot.campaign.groupement.coordinator_id
