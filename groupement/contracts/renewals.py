"""Renewals of a contract: the terms (number, length, notice), the decision per period, the view.

The coordinator sets the terms and decides; the contract's row is locked while deciding (two
decisions at once: the second sees the first), and the unique (contract, period) row is the last
guard. The end of the execution period follows Contract.renewed_periods (order_rules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from groupement.contracts.awards import editable_contract
from groupement.contracts.life_models import ContractRenewal
from groupement.contracts.models import Contract
from groupement.contracts.renewal_rules import (
    PendingRenewal,
    RenewalRefused,
    RenewalState,
    RenewalTerms,
    decide,
    pending,
)
from groupement.core import audit
from groupement.core.access import Actor
from groupement.core.timeutil import paris_today
from groupement.extensions import db


def terms_of(contract: Contract) -> RenewalTerms:
    return RenewalTerms(
        contract.start_date,
        contract.duration_months,
        contract.renewal_count,
        contract.renewal_months,
        contract.notice_months,
    )


def state_of(contract: Contract) -> RenewalState:
    return RenewalState(contract.renewed_periods, contract.renewals_closed)


def set_renewal_terms(actor: Actor, contract_id: int, count: int, months: int, notice_months: int) -> Contract:
    """The renewal clause of the contract; fixed once a decision is recorded."""
    contract = editable_contract(actor, contract_id)
    if contract.renewed_periods or contract.renewals_closed:
        raise RenewalRefused("Une décision de reconduction est déjà enregistrée : la clause ne se modifie plus.")
    terms = RenewalTerms(contract.start_date, contract.duration_months, count, months, notice_months)
    terms.check()
    before = {"count": contract.renewal_count, "months": contract.renewal_months, "notice": contract.notice_months}
    contract.renewal_count, contract.renewal_months, contract.notice_months = count, months, notice_months
    db.session.flush()
    audit.record(
        actor.user_id,
        "contract.renewal_terms",
        "contract",
        contract.id,
        before=before,
        after={"count": count, "months": months, "notice": notice_months},
    )
    return contract


def decide_renewal(
    actor: Actor, contract_id: int, period: int, renew: bool, today: date | None = None
) -> ContractRenewal:
    today = today or paris_today()
    contract = editable_contract(actor, contract_id)
    db.session.scalar(select(Contract.id).where(Contract.id == contract.id).with_for_update())
    db.session.refresh(contract)
    terms = terms_of(contract)
    after = decide(terms, state_of(contract), period, renew, today)
    contract.renewed_periods, contract.renewals_closed = after.renewed, after.closed
    row = ContractRenewal(
        contract_id=contract.id,
        period=period,
        renewed=renew,
        decided_on=today,
        deadline=terms.deadline(period),
        new_end=terms.end_after(after.renewed),
        duration_months=terms.total_months(after.renewed),
        recorded_by_id=actor.user_id,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        actor.user_id,
        "contract.renewal",
        "contract",
        contract.id,
        after={"period": period, "renewed": renew, "end": row.new_end, "decided_on": today},
    )
    return row


@dataclass(frozen=True)
class RenewalView:
    terms: RenewalTerms
    decisions: list[ContractRenewal]
    next: PendingRenewal | None
    end: date
    max_end: date


def renewal_view(contract: Contract, today: date) -> RenewalView:
    """For a contract already reached through scope."""
    decisions = list(
        db.session.scalars(
            select(ContractRenewal).where(ContractRenewal.contract_id == contract.id).order_by(ContractRenewal.period)
        )
    )
    terms = terms_of(contract)
    return RenewalView(
        terms,
        decisions,
        pending(terms, state_of(contract), today),
        terms.end_after(contract.renewed_periods),
        terms.end_after(contract.renewal_count),
    )
