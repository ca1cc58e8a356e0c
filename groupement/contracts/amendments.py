"""Amendments of a contract: checked against the legal limits (amendment_rules), they set the new
maximum, which the consumption checks of orders follow (Contract.maximum_amount); the maximum at
notification is kept in Contract.initial_maximum_amount. Numbered 1, 2… per contract under the
contract's row lock; the unique (contract, sequence) is the last guard."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from groupement.contracts.amendment_rules import AmendmentRefused, Ground, check_amendment
from groupement.contracts.awards import editable_contract
from groupement.contracts.life_models import ContractAmendment
from groupement.contracts.models import Contract
from groupement.core import audit
from groupement.core.access import Actor
from groupement.core.timeutil import paris_today
from groupement.extensions import db

MAX_OBJECT = 2000
MAX_JUSTIFICATION = 4000


def add_amendment(
    actor: Actor,
    contract_id: int,
    amount_ht: Decimal,
    ground: Ground,
    notified_on: date,
    object_change: str = "",
    justification: str = "",
    today: date | None = None,
) -> ContractAmendment:
    today = today or paris_today()
    contract = editable_contract(actor, contract_id)
    db.session.scalar(select(Contract.id).where(Contract.id == contract.id).with_for_update())
    db.session.refresh(contract)
    object_change, justification = (object_change or "").strip(), (justification or "").strip()
    if len(object_change) > MAX_OBJECT or len(justification) > MAX_JUSTIFICATION:
        raise AmendmentRefused(f"Objet : {MAX_OBJECT} caractères au plus ; justification : {MAX_JUSTIFICATION}.")
    if notified_on < contract.notified_on:
        raise AmendmentRefused(
            f"Un avenant est notifié après le marché (notifié le {contract.notified_on:%d/%m/%Y}), "
            f"pas le {notified_on:%d/%m/%Y}."
        )
    if notified_on > today:
        raise AmendmentRefused(f"La date de notification de l'avenant ({notified_on:%d/%m/%Y}) est dans le futur.")
    earlier = list(db.session.scalars(select(ContractAmendment).where(ContractAmendment.contract_id == contract.id)))
    de_minimis_before = sum((abs(a.amount_ht) for a in earlier if a.ground is Ground.DE_MINIMIS), Decimal(0))
    check = check_amendment(
        initial_amount=contract.initial_maximum,
        current_maximum=contract.maximum_amount,
        amount=amount_ht,
        ground=ground,
        justification=justification,
        de_minimis_before=de_minimis_before,
        on=notified_on,
        nature=contract.nature,
        object_change=object_change,
    )
    sequence = (
        db.session.scalar(
            select(func.max(ContractAmendment.sequence)).where(ContractAmendment.contract_id == contract.id)
        )
        or 0
    ) + 1
    if contract.initial_maximum_amount is None:
        contract.initial_maximum_amount = contract.maximum_amount
    row = ContractAmendment(
        contract_id=contract.id,
        sequence=sequence,
        notified_on=notified_on,
        object_change=object_change,
        amount_ht=amount_ht,
        maximum_before=check.maximum_before,
        maximum_after=check.maximum_after,
        ground=ground,
        justification=justification,
        duration_months=contract.current_duration_months,
        recorded_by_id=actor.user_id,
    )
    contract.maximum_amount = check.maximum_after
    db.session.add(row)
    db.session.flush()
    audit.record(
        actor.user_id,
        "contract.amendment",
        "contract",
        contract.id,
        before={"maximum": check.maximum_before},
        after={"sequence": sequence, "maximum": check.maximum_after, "amount": amount_ht, "ground": ground.value},
    )
    return row


def amendments_of(contract: Contract) -> list[ContractAmendment]:
    """For a contract already reached through scope."""
    return list(
        db.session.scalars(
            select(ContractAmendment)
            .where(ContractAmendment.contract_id == contract.id)
            .order_by(ContractAmendment.sequence)
        )
    )
