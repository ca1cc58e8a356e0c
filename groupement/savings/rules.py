"""Savings of a campaign (économies réalisées): what the groupement expected to pay against what
the contracts charge, for the same quantities. Pure.

The method, as shown to the coordinator and the elected officials:

- Quantities are the lot's frozen yearly quantities (LotLine.total_quantity) and, per commune,
  its shares (LotLineShare.quantity). They are the SAME on both sides: only prices differ.
- A unit price includes the eco-participation, as in the DQE (``line_amount`` of the lots).
- Line amount = quantity × unit price, rounded to the cent (ROUND_HALF_UP) once per line,
  like the DQE. A lot's amount is the sum of its lines; the campaign's, the sum of its lots.
- A commune's part of a line amount is the line amount split by the share quantities with the
  largest-remainder method (DESIGN.md §3.2: tie-break larger remainder, then larger quantity,
  then the commune's key, its INSEE code). So the communes' parts of every line, lot and of the
  whole campaign add up EXACTLY to the line, lot and campaign amounts.
- Savings = reference − awarded (positive: the groupement pays less; negative: an extra cost).
  Percent = savings × 100 / reference, rounded to 0.01 (ROUND_HALF_UP); none when the
  reference is zero.
- Two references: the estimate of this campaign (always), and the previous prices (the unit
  price of the same item in an earlier campaign, when the caller knows one). The comparison to
  previous prices only covers the lines that have one: the lot and commune figures of that
  comparison are sums over those lines, and say how many lines they cover.
- A previous price is what was PAID (the previous campaign's contract price) when there was a
  contract for the item, else only what was ESTIMATED: each line says which (``Reference``), and
  each total says whether its lines used contract prices, estimates, or both (``reference``).
- A negative saving is a surcharge (surcoût): shown as such, never as a saving
  (``Comparison.surcharge``, ``Comparison.surcharge_percent``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from groupement.core.money import CENT, cents_down, round_half_up
from groupement.core.money import line_amount as priced_line_amount

HUNDREDTH = Decimal("0.01")
ZERO = Decimal("0.00")


class Reference(StrEnum):
    """What a previous price is: last year's contract price, or only last year's estimate."""

    CONTRACT = "contract"
    ESTIMATE = "estimate"
    MIXED = "mixed"  # a total over lines of both kinds

    @property
    def label(self) -> str:
        return {
            "contract": "prix des marchés",
            "estimate": "estimations (sans marché)",
            "mixed": "prix des marchés et, à défaut, estimations",
        }[self.value]


@dataclass(frozen=True)
class Share:
    """A commune's quantity of a line; `key` breaks ties of the split (its INSEE code)."""

    commune_id: int
    quantity: int
    key: str = ""


@dataclass(frozen=True)
class SavingsLine:
    """One awarded line: unit prices include the eco-participation."""

    line_id: int
    lot_id: int
    quantity: int
    estimated_unit: Decimal
    awarded_unit: Decimal
    previous_unit: Decimal | None = None
    shares: tuple[Share, ...] = ()
    previous_reference: Reference = Reference.ESTIMATE  # what previous_unit is, when there is one


@dataclass(frozen=True)
class Comparison:
    """A reference amount against the awarded amount, for the same quantities."""

    reference: Decimal
    awarded: Decimal

    @property
    def savings(self) -> Decimal:
        return self.reference - self.awarded

    @property
    def percent(self) -> Decimal | None:
        if self.reference == 0:
            return None
        return round_half_up(self.savings * 100 / self.reference, HUNDREDTH)

    @property
    def surcharge(self) -> bool:
        """The award costs more than the reference: an extra cost, not a saving."""
        return self.savings < 0

    @property
    def extra_cost(self) -> Decimal:
        """The surcharge as a positive amount (0 when it is a saving)."""
        return max(-self.savings, ZERO)

    @property
    def surcharge_percent(self) -> Decimal | None:
        """How much dearer than the reference, in per cent (18.70 for +18,70 %); None for a saving."""
        percent = self.percent
        if percent is None or not self.surcharge:
            return None
        return -percent

    def __add__(self, other: Comparison) -> Comparison:
        return Comparison(self.reference + other.reference, self.awarded + other.awarded)


NOTHING = Comparison(ZERO, ZERO)


@dataclass(frozen=True)
class LineResult:
    line_id: int
    lot_id: int
    estimate: Comparison
    previous: Comparison | None  # None: no previous price for this item
    previous_reference: Reference | None = None  # contract price or estimate, with `previous`


@dataclass
class Totals:
    """Figures of a lot, a commune, a commune within a lot, or the whole campaign."""

    estimate: Comparison = NOTHING
    previous: Comparison = NOTHING  # over the lines that have a previous price only
    lines: int = 0
    lines_with_previous: int = 0
    lines_with_previous_contract: int = 0  # of which at last year's contract price

    @property
    def has_previous(self) -> bool:
        return self.lines_with_previous > 0

    @property
    def previous_reference(self) -> Reference | None:
        """Which previous prices these figures compare with (None without any)."""
        if not self.has_previous:
            return None
        if self.lines_with_previous_contract == self.lines_with_previous:
            return Reference.CONTRACT
        if self.lines_with_previous_contract == 0:
            return Reference.ESTIMATE
        return Reference.MIXED

    def add(self, estimate: Comparison, previous: Comparison | None, reference: Reference | None = None) -> None:
        self.estimate = self.estimate + estimate
        self.lines += 1
        if previous is not None:
            self.previous = self.previous + previous
            self.lines_with_previous += 1
            if reference is Reference.CONTRACT:
                self.lines_with_previous_contract += 1


@dataclass
class SavingsResult:
    lines: list[LineResult]
    total: Totals
    lots: dict[int, Totals]  # lot id ->
    communes: dict[int, Totals]  # commune id ->
    commune_lots: dict[tuple[int, int], Totals] = field(default_factory=dict)  # (commune id, lot id) ->


def line_amount(quantity: int, unit_price: Decimal) -> Decimal:
    return priced_line_amount(quantity, unit_price)


def compute_savings(lines: Iterable[SavingsLine]) -> SavingsResult:
    """The savings of every line, lot, commune, commune within a lot, and of the whole."""
    results: list[LineResult] = []
    total = Totals()
    lots: dict[int, Totals] = defaultdict(Totals)
    communes: dict[int, Totals] = defaultdict(Totals)
    commune_lots: dict[tuple[int, int], Totals] = defaultdict(Totals)
    for line in lines:
        estimate = Comparison(
            line_amount(line.quantity, line.estimated_unit), line_amount(line.quantity, line.awarded_unit)
        )
        previous, reference = None, None
        if line.previous_unit is not None:
            previous = Comparison(line_amount(line.quantity, line.previous_unit), estimate.awarded)
            reference = line.previous_reference
        results.append(LineResult(line.line_id, line.lot_id, estimate, previous, reference))
        total.add(estimate, previous, reference)
        lots[line.lot_id].add(estimate, previous, reference)
        for share, part_estimate, part_previous in _commune_parts(line.shares, estimate, previous):
            communes[share.commune_id].add(part_estimate, part_previous, reference)
            commune_lots[(share.commune_id, line.lot_id)].add(part_estimate, part_previous, reference)
    return SavingsResult(results, total, dict(lots), dict(communes), dict(commune_lots))


def _commune_parts(shares: Sequence[Share], estimate: Comparison, previous: Comparison | None):
    """Each commune's part of the line's amounts (every amount split on its own, exactly)."""
    shares = [share for share in shares if share.quantity > 0]
    if not shares:
        return []
    weights = [(share.quantity, share.key, share.commune_id) for share in shares]
    estimated = split_by_weight(estimate.reference, weights)
    awarded = split_by_weight(estimate.awarded, weights)
    earlier = split_by_weight(previous.reference, weights) if previous is not None else None
    parts = []
    for index, share in enumerate(shares):
        part_previous = Comparison(earlier[index], awarded[index]) if earlier is not None else None
        parts.append((share, Comparison(estimated[index], awarded[index]), part_previous))
    return parts


def split_by_weight(amount: Decimal, weights: Sequence[tuple[int, str, int]]) -> list[Decimal]:
    """Split an amount in cents over (weight, key, id) by the largest-remainder method.

    Each part is first the proportional amount rounded down to the cent; the cents left are
    given one by one by larger remainder, then larger weight, then smaller key and id. The
    parts always add up to the amount; a zero weight gets zero. A negative amount is split
    as its opposite, then negated.
    """
    if amount < 0:
        return [-part for part in split_by_weight(-amount, weights)]
    total_weight = sum(weight for weight, _, _ in weights)
    if total_weight <= 0:
        return [ZERO for _ in weights]
    exact = [amount * weight / total_weight for weight, _, _ in weights]
    parts = [cents_down(value) for value in exact]
    left = int(((amount - sum(parts, ZERO)) / CENT).to_integral_value())
    order = sorted(
        range(len(weights)),
        key=lambda i: (-(exact[i] - parts[i]), -weights[i][0], weights[i][1], weights[i][2]),
    )
    for i in order[:left]:
        parts[i] += CENT
    return parts
