"""Prepayments (BT-113), pure: which earlier prepayment invoices (type 386) a final invoice
deducts, and what each commune's recovery title bills once they are deducted.

A prepayment invoice is split and titled to the communes like any invoice. The final invoice
declares the whole supply (its TTC is split whole, so each commune's share of the goods stays
visible) and deducts what was prepaid; the coordinator pays the supplier only the amount due, so
the final invoice's titles bill each commune its share minus what it was titled on the prepayment
(so that its two titles make its share of the whole supply), or, when that cannot be (a commune
titled on the prepayment beyond its final share), the amount due pro rata; either way the titles
add up to the amount due (total − prepaid) to the cent. Matching looks for the prepayment
invoices of the same supplier, those of the same order first, whose totals make exactly the
deducted amount; when none do, the reason is said (the anomaly then blocks the split until the
accountant accepts it with a comment or rejects the invoice)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import combinations

from groupement.core.formatting import date_fr, euros
from groupement.invoices.apportionment import largest_remainder

# Subsets of at most this many candidates are tried (2^12 sums at most: bounded work).
MAX_CANDIDATES = 12


@dataclass(frozen=True)
class Prepayment:
    """An earlier prepayment invoice of the supplier, not yet deducted by another final invoice."""

    id: int
    number: str
    issue_date: date
    ttc: Decimal
    order_reference: str | None = None

    def describe(self) -> str:
        return f"n° {self.number} du {date_fr(self.issue_date)} ({euros(self.ttc)})"


@dataclass(frozen=True)
class PrepaymentMatch:
    matched: tuple[Prepayment, ...]
    reason: str  # French: what was matched, or why nothing was

    @property
    def ok(self) -> bool:
        return bool(self.matched)


def _same_reference(a: str | None, b: str | None) -> bool:
    return bool(a and b) and "".join(a.split()).upper() == "".join(b.split()).upper()


def _exact_subset(target: Decimal, pool: Sequence[Prepayment]) -> tuple[Prepayment, ...]:
    """The smallest set of prepayments, earliest first, whose TTC adds up to `target` exactly."""
    if sum((p.ttc for p in pool), Decimal(0)) == target:
        return tuple(pool)
    for size in range(1, min(len(pool), MAX_CANDIDATES) + 1):
        for chosen in combinations(pool[:MAX_CANDIDATES], size):
            if sum((p.ttc for p in chosen), Decimal(0)) == target:
                return chosen
    return ()


def match_prepayments(
    prepaid: Decimal, order_reference: str | None, candidates: Sequence[Prepayment]
) -> PrepaymentMatch:
    """The prepayment invoices that the deducted amount (BT-113, positive) stands for.

    Those of the same order reference (BT-13) are tried first, then all the supplier's: a final
    invoice may deduct a prepayment invoiced before the order number was known."""
    pool = sorted(candidates, key=lambda p: (p.issue_date, p.id))
    deducted = euros(prepaid)
    if not pool:
        return PrepaymentMatch(
            (),
            f"acomptes déduits (BT-113) de {deducted}, mais aucune facture d'acompte de ce fournisseur "
            "n'a été importée (ou toutes sont déjà déduites par une autre facture)",
        )
    same_order = [p for p in pool if _same_reference(p.order_reference, order_reference)]
    for tried in (same_order, pool) if same_order else (pool,):
        if chosen := _exact_subset(prepaid, tried):
            where = "de la même commande" if tried is same_order else "du même fournisseur"
            listed = ", ".join(p.describe() for p in chosen)
            return PrepaymentMatch(
                chosen, f"acomptes déduits (BT-113) de {deducted} : facture(s) d'acompte {where} {listed}"
            )
    listed = ", ".join(p.describe() for p in pool[:5]) + (" …" if len(pool) > 5 else "")
    total = euros(sum((p.ttc for p in pool), Decimal(0)))
    return PrepaymentMatch(
        (),
        f"acomptes déduits (BT-113) de {deducted}, mais aucune combinaison des factures d'acompte de ce "
        f"fournisseur ne fait ce montant (trouvées : {listed} ; {total} en tout)",
    )


@dataclass(frozen=True)
class Deduction:
    """Each commune's title on a final invoice, and how the prepayments were deducted from it."""

    amounts: dict[str, Decimal]
    per_commune: bool  # each commune minus what it was titled on the prepayments; else pro rata

    @property
    def method(self) -> str:
        """In French, for the title's object."""
        return "chaque commune déduisant son titre d'acompte" if self.per_commune else "au prorata des parts"


def deduct_prepayments(
    total_ttc: Decimal,
    prepaid: Decimal,
    shares: Mapping[str, Decimal],
    titled_on_prepayments: Mapping[str, Decimal] | None = None,
) -> Deduction:
    """Each commune's title for a final invoice, so that what it is titled in all (the prepayment's
    titles and this one) is its share of the whole supply.

    - Each commune's share minus what it was titled on the deducted prepayment invoices
      (`titled_on_prepayments`), when those titles make the deducted amount exactly, every commune
      titled on them has a share here, and none would be billed against the invoice's sign (titled
      on the prepayment beyond its share of the final invoice): the titles then add up to the
      amount due, each commune's to the cent of its own share.
    - Otherwise, the amount due (total − prepaid) in proportion to each commune's TTC share, by the
      largest-remainder method, so the titles still add up exactly to the amount due.
    Nothing prepaid: the shares themselves."""
    if not prepaid:
        return Deduction(dict(shares), per_commune=False)
    due = total_ttc - prepaid
    if not due:
        return Deduction({commune: Decimal("0.00") for commune in shares}, per_commune=False)
    if titled_on_prepayments is not None and sum(titled_on_prepayments.values(), Decimal(0)) == prepaid:
        net = {commune: share - titled_on_prepayments.get(commune, Decimal(0)) for commune, share in shares.items()}
        every_titled_commune_has_a_share = set(titled_on_prepayments) <= set(shares)
        if every_titled_commune_has_a_share and all(amount * due >= 0 for amount in net.values()):
            return Deduction(net, per_commune=True)
    proportional = largest_remainder(due, {commune: abs(share) for commune, share in shares.items()})
    return Deduction(proportional, per_commune=False)


def titles_after_prepayments(
    total_ttc: Decimal,
    prepaid: Decimal,
    shares: Mapping[str, Decimal],
    titled_on_prepayments: Mapping[str, Decimal] | None = None,
) -> dict[str, Decimal]:
    """The amounts of deduct_prepayments."""
    return deduct_prepayments(total_ttc, prepaid, shares, titled_on_prepayments).amounts
