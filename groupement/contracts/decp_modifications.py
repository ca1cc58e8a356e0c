"""The modifications a contract's DECP entry carries: its amendments and its renewals (a renewal
lengthens the duration), each with the maximum and duration after it; the day of their first
export is kept on their row (datePublicationDonneesModification, never updated after)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from groupement.contracts.decp_json import DecpModification
from groupement.contracts.life_models import ContractAmendment, ContractRenewal
from groupement.contracts.models import Contract
from groupement.extensions import db

Row = ContractAmendment | ContractRenewal


def modifications_of(contracts: Sequence[Contract]) -> dict[int, list[tuple[DecpModification, Row]]]:
    """Contract id -> its modifications in order of notification (contracts reached through scope)."""
    ids = [c.id for c in contracts]
    if not ids:
        return {}
    events: dict[int, list[tuple[date, int, Row]]] = defaultdict(list)
    for amendment in db.session.scalars(select(ContractAmendment).where(ContractAmendment.contract_id.in_(ids))):
        events[amendment.contract_id].append((amendment.notified_on, 0, amendment))
    for renewal in db.session.scalars(
        select(ContractRenewal).where(ContractRenewal.contract_id.in_(ids), ContractRenewal.renewed.is_(True))
    ):
        events[renewal.contract_id].append((renewal.decided_on, 1, renewal))
    by_id = {c.id: c for c in contracts}
    result: dict[int, list[tuple[DecpModification, Row]]] = {}
    for contract_id, rows in events.items():
        contract = by_id[contract_id]
        maximum, duration = contract.initial_maximum, contract.duration_months
        mapped = []
        for day, _, row in sorted(rows, key=lambda e: (e[0], e[2].recorded_at, e[1])):
            if isinstance(row, ContractAmendment):
                maximum = row.maximum_after
            else:
                duration = row.duration_months
            mapped.append((DecpModification(day, row.published_on, maximum, duration), row))
        result[contract_id] = mapped
    return result


def mark_published(rows: Sequence[Row], today: date) -> None:
    for row in rows:
        if row.published_on is None:
            row.published_on = today
    db.session.flush()
