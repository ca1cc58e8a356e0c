"""The tender files' plain data in (lots, lines, communes' quantities) and their figures in Decimal."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from groupement.core.money import line_amount, to_cents

# --- input ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TenderLine:
    line_key: str  # stable id for re-import (e.g. "L12-0007"), goes in the hidden column
    number: int  # n° within the lot
    ref: str
    designation: str
    unit: str
    cpv: str
    quantity: int  # total estimated quantity (all communes)
    vat_rate: Decimal  # e.g. Decimal("20.00") (per cent)
    estimated_unit_price: Decimal  # buyer's estimate (4 decimals max); NOT written in DQE/BPU for bidders


@dataclass(frozen=True)
class TenderLot:
    key: str
    number: int
    title: str
    groupement: str
    campaign: str
    lines: tuple[TenderLine, ...]


@dataclass(frozen=True)
class CommuneColumn:
    insee: str
    name: str
    quantities: Mapping[str, int]  # line_key -> quantity (missing = 0)


# --- the figures, in Decimal (what the formulas compute) ---------------------------------------


@dataclass(frozen=True)
class DqeTotals:
    ht: Decimal
    vat: Decimal
    ttc: Decimal


def dqe_line_total(quantity: int, unit_price: Decimal, eco_participation: Decimal = Decimal(0)) -> Decimal:
    """A DQE line total HT, eco-participation included (it is part of the price and the VAT base)."""
    return line_amount(quantity, unit_price + eco_participation)


def dqe_totals(lines: Iterable[TenderLine], prices: Mapping[str, tuple[Decimal, Decimal]]) -> DqeTotals:
    """Total HT, VAT and TTC of a priced DQE; prices: line_key -> (unit price HT, eco-participation HT),
    a line without a price counts for zero, as an empty cell does in the spreadsheet."""
    ht = Decimal(0)
    vat_base = Decimal(0)
    for line in lines:
        unit_price, eco = prices.get(line.line_key, (Decimal(0), Decimal(0)))
        total = dqe_line_total(line.quantity, unit_price, eco)
        ht += total
        vat_base += total * line.vat_rate
    vat = to_cents(vat_base / 100)
    return DqeTotals(ht, vat, ht + vat)


def estimated_line_amount(quantity: int, estimated_unit_price: Decimal) -> Decimal:
    return line_amount(quantity, estimated_unit_price)


def estimated_lot_amount(lot: TenderLot) -> Decimal:
    """The buyer's estimate of a lot, HT: the sum of its line amounts, each to the cent."""
    return sum((estimated_line_amount(line.quantity, line.estimated_unit_price) for line in lot.lines), Decimal(0))


def check_lot(lot: TenderLot) -> None:
    if not lot.lines:
        raise ValueError(f"le lot n° {lot.number} n'a aucune ligne")
    keys = [line.line_key for line in lot.lines]
    if len(set(keys)) != len(keys):
        raise ValueError(f"le lot n° {lot.number} a deux lignes de même identifiant")


__all__ = [
    "CommuneColumn",
    "DqeTotals",
    "TenderLine",
    "TenderLot",
    "dqe_line_total",
    "dqe_totals",
    "estimated_line_amount",
    "estimated_lot_amount",
]
