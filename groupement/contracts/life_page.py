"""What the contract's life page shows (coordinator side): renewals, amendments, revision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from groupement.contracts import scope as contract_scope
from groupement.contracts.amendment_rules import de_minimis_limits
from groupement.contracts.amendments import amendments_of
from groupement.contracts.life_models import ContractAmendment, PriceIndexValue, PriceRevision, RevisionFormula
from groupement.contracts.models import Contract
from groupement.contracts.renewals import RenewalView, renewal_view
from groupement.contracts.revision_rules import revision_start
from groupement.contracts.revisions import (
    PricesInForce,
    formula_of,
    index_values_for,
    prices_in_force,
    revision_history,
)
from groupement.core.access import COORDINATOR_SIDE_ROLES, Actor
from groupement.core.errors import Forbidden, NotFound
from groupement.extensions import db


@dataclass(frozen=True)
class LifePage:
    contract: Contract
    renewals: RenewalView
    amendments: list[ContractAmendment]
    de_minimis_share: Decimal  # R2194-8, for the contract's nature, today
    de_minimis_amount: Decimal  # that share of the initial amount
    threshold: Decimal  # the European threshold in force today for that nature
    formula: RevisionFormula | None
    revisions: list[PriceRevision]
    index_values: list[PriceIndexValue]
    in_force: PricesInForce
    next_revision_on: date | None


def coordinated_contract(actor: Actor, contract_id: int) -> Contract:
    """A contract of the coordinator side's scope (accountant and admin read), or NotFound."""
    if actor.role not in COORDINATOR_SIDE_ROLES:
        raise Forbidden("Réservé au coordonnateur.")
    contract = db.session.scalar(contract_scope.contracts(actor).where(Contract.id == contract_id))
    if contract is None:
        raise NotFound("Contrat introuvable.")
    return contract


def life_page(actor: Actor, contract_id: int, today: date) -> LifePage:
    contract = coordinated_contract(actor, contract_id)
    formula = formula_of(contract.id)
    revisions = revision_history(contract)
    next_on = None
    if formula is not None:
        done = max((r.number for r in revisions), default=0)
        next_on = revision_start(contract.start_date, formula.period_months, done + 1)
    return LifePage(
        contract,
        renewal_view(contract, today),
        amendments_of(contract),
        *de_minimis_limits(contract.nature, contract.initial_maximum, today),
        formula,
        revisions,
        index_values_for(contract),
        prices_in_force(contract, today),
        next_on,
    )
