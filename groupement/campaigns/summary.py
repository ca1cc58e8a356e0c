"""What a commune is about to submit or validate: its non-zero lines, its totals per family and
the comparison with the previous campaign (quantities and amounts, with the differences).
A query: reads only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from groupement.campaigns.grid import GridLine, NeedsGrid, needs_grid
from groupement.campaigns.models import Campaign, CampaignItem
from groupement.campaigns.participation import GridItem, previous_campaign
from groupement.campaigns.rules import estimated_line_amount
from groupement.core.access import Actor
from groupement.extensions import db
from groupement.organisations.families import Family


@dataclass(frozen=True)
class SummaryLine:
    """One line worth reading: a quantity this year or last year. Last year's amount is priced
    at this campaign's estimated unit price, so that the difference is the quantities'."""

    item: GridItem
    quantity: int
    comment: str
    previous_quantity: int  # 0 when the item was not in the previous campaign (new)
    new_item: bool

    @property
    def amount(self) -> Decimal:
        return estimated_line_amount(self.quantity, self.item.unit_price_ht)

    @property
    def previous_amount(self) -> Decimal:
        return estimated_line_amount(self.previous_quantity, self.item.unit_price_ht)

    @property
    def quantity_difference(self) -> int:
        return self.quantity - self.previous_quantity

    @property
    def amount_difference(self) -> Decimal:
        return self.amount - self.previous_amount


@dataclass(frozen=True)
class FamilySummary:
    family: Family
    lines: list[SummaryLine]

    @property
    def line_count(self) -> int:
        """Lines with a quantity this year."""
        return sum(1 for line in self.lines if line.quantity)

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def previous_quantity(self) -> int:
        return sum(line.previous_quantity for line in self.lines)

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def previous_amount(self) -> Decimal:
        return sum((line.previous_amount for line in self.lines), Decimal(0))

    @property
    def amount_difference(self) -> Decimal:
        return self.amount - self.previous_amount


@dataclass(frozen=True)
class NeedsSummary:
    grid: NeedsGrid
    previous: Campaign | None
    families: list[FamilySummary]

    @property
    def item_count(self) -> int:
        """Every item of the commune's grid, zeros included."""
        return len(self.grid.lines)

    @property
    def line_count(self) -> int:
        return sum(family.line_count for family in self.families)

    @property
    def zero_count(self) -> int:
        """Items left out of the listing: zero this year and last year."""
        return self.item_count - sum(len(family.lines) for family in self.families)

    @property
    def amount(self) -> Decimal:
        return sum((family.amount for family in self.families), Decimal(0))

    @property
    def previous_amount(self) -> Decimal:
        return sum((family.previous_amount for family in self.families), Decimal(0))

    @property
    def amount_difference(self) -> Decimal:
        return self.amount - self.previous_amount

    @property
    def quantity(self) -> int:
        return sum(family.quantity for family in self.families)

    @property
    def previous_quantity(self) -> int:
        return sum(family.previous_quantity for family in self.families)


def needs_summary(actor: Actor, campaign_id: int, now: datetime | None = None) -> NeedsSummary:
    """The actor's commune's needs as the confirmation and validation pages show them."""
    grid = needs_grid(actor, campaign_id, now=now)
    previous = previous_campaign(grid.campaign)
    in_previous: set[int] = set()
    if previous is not None:
        in_previous = set(
            db.session.scalars(select(CampaignItem.item_id).where(CampaignItem.campaign_id == previous.id))
        )
    families = []
    for family, lines in grid.by_family():
        kept = [_summary_line(line, previous is not None and line.item.id in in_previous) for line in lines]
        kept = [line for line in kept if line.quantity or line.previous_quantity]
        if kept:
            families.append(FamilySummary(family, kept))
    return NeedsSummary(grid, previous, families)


def _summary_line(line: GridLine, was_offered: bool) -> SummaryLine:
    return SummaryLine(
        item=line.item,
        quantity=line.quantity,
        comment=line.comment,
        previous_quantity=line.previous_quantity or 0,
        new_item=not was_offered,
    )
