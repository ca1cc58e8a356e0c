"""One amount split to the cent so that the parts add up exactly. Pure.

`largest_remainder` splits an amount over weights; `split_vat` splits the VAT of one rate of an
invoice over the communes' bases at that rate. Both are the largest-remainder method (DESIGN.md
§3.2): every part starts from its exact share rounded down, and the cents still missing go one
by one to the larger remainder, then the larger weight, then the smaller INSEE code. Zero
weights get zero.

The VAT of one rate (rule 3 of groupement.invoices.allocation): the invoice's VAT for a rate is
computed ONCE on the invoice's base for that rate (EN 16931 BR-S-09, `money.vat_amount`); the
communes' VAT for that rate is that figure split by their bases (weights = the bases, or their
opposites when the rate's base is negative), so the communes' VAT adds up EXACTLY to the
invoice's VAT for every rate, even when rounding each commune's VAT separately would not.

Mixed signs within one rate (a commune's base has the opposite sign of another's, e.g. a shared
allowance larger than the lines tied to one commune): a split proportional to the signed bases
would be meaningless when the rate's total base is close to zero (a +100,00 / −99,97 pair has a
total of 0,03 and a VAT of 0,01: proportionally, the first commune would carry 33,33 € of VAT on
100,00 € HT). So in that case each commune's VAT starts from its OWN exact VAT, base × rate /
100, rounded down to the cent; the cents still needed to reach the invoice's VAT for the rate
(always between 0 and the number of communes, since that VAT is the rounded sum of the exact
figures) go one by one by the same tie-break. Each commune's VAT then differs from its own exact
VAT by less than one cent, and the sum is exact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from groupement.core.errors import ServiceError
from groupement.core.formatting import number
from groupement.core.money import CENT

ZERO = Decimal("0.00")


class AllocationError(ServiceError):
    """A split refused, in French: inconsistent input, or a key that cannot apply."""


def largest_remainder(total: Decimal, weights: Mapping[str, Decimal], step: Decimal = CENT) -> dict[str, Decimal]:
    """Split `total` over `weights` (keyed by INSEE code) in multiples of `step`.

    Each part is first its exact proportional share rounded down to the step; the steps still
    missing go one by one to the larger remainder, then the larger weight, then the smaller
    key. The parts add up exactly to the total; a zero weight gets zero. A negative total (a
    credit note) is split as its opposite, then negated. Returns the parts by key.
    Raises AllocationError (French) for negative weights, all weights zero, or a total that is
    not a multiple of the step.
    """
    if not isinstance(step, Decimal) or not step.is_finite() or step <= 0:
        raise AllocationError("le pas de répartition doit être un nombre strictement positif")
    if not isinstance(total, Decimal) or not total.is_finite():
        raise AllocationError("le montant à répartir doit être un nombre fini")
    ratio = Fraction(total) / Fraction(step)
    if ratio.denominator != 1:
        raise AllocationError(f"le montant {number(total)} n'est pas un multiple de {number(step)}")
    if not weights:
        raise AllocationError("aucune commune entre lesquelles répartir le montant")
    scaled = integer_weights(weights)
    total_weight = sum(scaled.values())
    if total_weight == 0:
        raise AllocationError("tous les poids de répartition sont nuls : impossible de répartir le montant")
    units = ratio.numerator
    magnitude = abs(units)
    parts = apportion(magnitude, {k: magnitude * w for k, w in scaled.items()}, total_weight, scaled)
    sign = -1 if units < 0 else 1
    return {k: (sign * parts[k]) * step for k in sorted(scaled)}


def integer_weights(weights: Mapping[str, Decimal]) -> dict[str, int]:
    """The weights as integers on a common scale (exact): 1,5 and 2 -> 3 and 4."""
    fractions: dict[str, Fraction] = {}
    for key, weight in weights.items():
        if isinstance(weight, Decimal) and not weight.is_finite():
            raise AllocationError(f"le poids de répartition de {key} n'est pas un nombre fini")
        value = Fraction(weight)
        if value < 0:
            raise AllocationError(f"le poids de répartition de {key} est négatif ({number(weight)})")
        fractions[key] = value
    scale = math.lcm(*(value.denominator for value in fractions.values()))
    return {key: value.numerator * (scale // value.denominator) for key, value in fractions.items()}


def apportion(
    target: int, numerators: Mapping[str, int], denominator: int, strength: Mapping[str, int]
) -> dict[str, int]:
    """Integer parts of the exact values numerator/denominator (which add up to about
    `target`), rounded down, then the units still missing to the larger remainder, larger
    strength, smaller key. Works for signed numerators (floor towards minus infinity)."""
    parts = {k: num // denominator for k, num in numerators.items()}
    remainders = {k: num % denominator for k, num in numerators.items()}
    left = target - sum(parts.values())
    if not 0 <= left <= len(parts):  # pragma: no cover - guarded by the callers' arithmetic
        raise ArithmeticError("répartition impossible : écart d'arrondi inattendu")
    order = sorted(parts, key=lambda k: (-remainders[k], -strength[k], k))
    for k in order[:left]:
        parts[k] += 1
    return parts


def split_vat(invoice_vat: Decimal, rate: Decimal, bases: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """The invoice's VAT for one rate over the communes' bases at that rate (module docstring)."""
    if all(base == 0 for base in bases.values()):
        return {insee: ZERO for insee in sorted(bases)}
    positive = any(base > 0 for base in bases.values())
    negative = any(base < 0 for base in bases.values())
    if not (positive and negative):
        return largest_remainder(invoice_vat, {insee: abs(base) for insee, base in bases.items()})
    # Mixed signs: each commune's own exact VAT, rounded down, then the missing cents.
    exact = {insee: Fraction(base) * Fraction(rate) / 100 / Fraction(CENT) for insee, base in bases.items()}
    denominator = math.lcm(*(value.denominator for value in exact.values()))
    numerators = {insee: value.numerator * (denominator // value.denominator) for insee, value in exact.items()}
    strength = integer_weights({insee: abs(base) for insee, base in bases.items()})
    target = int(invoice_vat / CENT)
    parts = apportion(target, numerators, denominator, strength)
    return {insee: parts[insee] * CENT for insee in sorted(parts)}
