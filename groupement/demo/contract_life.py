"""The demonstration's contract life (issue 17): one framework contract renewed once, with one
amendment and one price revision computed from entered index values, so that `make run` shows
the life page filled in and the orders of that contract priced at the revised prices.

Dates follow the day the demo is loaded: the contract started about 195 days ago for 24 months,
renewable once for 12 months with 3 months' notice (the decision is taken today, well before its
deadline); its prices are revised every 6 months from its start (revision n° 1 is due since about
two weeks). The index and its values are illustrative, not published figures."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from groupement.contracts.amendment_rules import Ground
from groupement.contracts.amendments import add_amendment
from groupement.contracts.models import Contract
from groupement.contracts.order_rules import add_months
from groupement.contracts.renewals import decide_renewal, set_renewal_terms
from groupement.contracts.revisions import compute_revisions, record_index_value, set_formula
from groupement.core.access import Actor
from groupement.core.money import to_cents

LIFE_CONTRACT_MONTHS = 24  # the first period; 24 + 12 of renewal stays within 48 months (R2162-4)
# The second lot buys printers and scanners: a producer price index of CPF 26.20 (computers and
# peripheral equipment), the kind of INSEE series such a formula uses.
INDEX_CODE = "IPPI-CPF26.20"
BASE_VALUE, REVISED_VALUE = "100,0", "103,2"  # mois zéro, then six months later: coefficient 1,0272
AMENDMENT_SHARE = Decimal("0.05")  # within the 10 % of R2194-8 for supplies


def demo_contract_life(coordinator: Actor, contract: Contract, today: date) -> None:
    """Renewal, amendment and revision on `contract`, placed before its demo orders."""
    set_renewal_terms(coordinator, contract.id, 1, 12, 3)
    decide_renewal(coordinator, contract.id, 1, True, today)
    add_amendment(
        coordinator,
        contract.id,
        to_cents(contract.maximum_amount * AMENDMENT_SHARE),
        Ground.DE_MINIMIS,
        notified_on=today - timedelta(days=10),
        object_change="Imprimantes supplémentaires pour les écoles : hausse du montant maximum.",
        today=today,
    )
    base_month = contract.start_date.replace(day=1)
    set_formula(coordinator, contract.id, Decimal("0.15"), [(INDEX_CODE, Decimal("0.85"))], base_month, 6)
    record_index_value(coordinator, contract.id, INDEX_CODE, base_month, BASE_VALUE)
    record_index_value(coordinator, contract.id, INDEX_CODE, add_months(base_month, 6), REVISED_VALUE)
    compute_revisions(coordinator, contract.id, today)
