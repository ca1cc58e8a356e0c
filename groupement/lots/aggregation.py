"""Summing validated needs into lot lines, keeping each commune's share as the trace."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from groupement.lots.rules import LotRuleError


@dataclass(frozen=True)
class NeedRow:
    commune_id: int
    item_id: int
    quantity: int


@dataclass(frozen=True)
class AggregatedLine:
    item_id: int
    total_quantity: int
    shares: tuple[tuple[int, int], ...]  # (commune_id, quantity), by commune id


def aggregate(needs: Iterable[NeedRow]) -> list[AggregatedLine]:
    """One line per item with a positive total; its shares sum exactly to the total by construction.

    The specification of aggregation: lots.campaign_aggregation does the same in SQL (GROUP BY, INSERT ... SELECT)
    so that a million need lines never come into Python, and its tests hold it to this function.
    """
    by_item: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for need in needs:
        if need.quantity < 0:
            raise LotRuleError(f"quantité négative pour l'article {need.item_id}")
        if need.quantity:
            by_item[need.item_id][need.commune_id] += need.quantity
    return [
        AggregatedLine(item_id, sum(shares.values()), tuple(sorted(shares.items())))
        for item_id, shares in sorted(by_item.items())
    ]
