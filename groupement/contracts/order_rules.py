"""Purchase orders (bons de commande) under a framework contract: the rules, as pure functions.

- Numbering: "BC-{insee}-{year}-{sequence:04d}", one sequence per commune and calendar year
  (Paris time), starting at 1.
- Amounts: a line costs to_cents(quantity × (unit price + eco-participation)), with the prices
  of the contract, never those of a form; the order's total HT is the sum of its lines.
- Consumption of the contract against its maximum amount: from 80 % of the maximum the order
  goes through with a warning; an order that would take the total beyond 100 % is refused
  (exactly 100 % is allowed: the maximum is a ceiling, not an exclusion).
- Consumption of a commune against its validated needs (its LotLineShare quantity per line):
  ordering more than the needs is a WARNING, never a refusal. The needs were an estimate for
  the tender; the legal limit of a framework agreement is its maximum amount, which binds the
  groupement as a whole, not each member. The coordinator sees the overruns on the
  consumption page and may talk with the commune.
- Execution period: an order is placed on a day (Paris time) within the contract's execution
  period, from its start of execution to its end (start + duration in months, renewed periods
  included (renewal_rules.py), the day before
  the same day of the last month, or that month's last day when it has no such day), and never
  before the contract's notification. Outside, the order is refused, naming the dates.
- Delivery (service fait): per order line, a quantity > 0 received on a date that is neither in
  the future nor before the order's date; partial deliveries add up, never beyond the
  quantity ordered.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from groupement.campaigns.rules import MAX_QUANTITY, parse_quantity
from groupement.core.errors import ServiceError
from groupement.core.money import CENT, round_half_up
from groupement.core.money import line_amount as priced_line_amount
from groupement.core.money import vat_amount as vat_of_base

ORDER_NUMBER_FORMAT = "BC-{insee}-{year}-{sequence:04d}"
WARNING_RATIO = Decimal("0.80")
FULL_RATIO = Decimal("1")
RATIO_STEP = Decimal("0.0001")
MAX_ORDER_LINES = 500


class OrderRefused(ServiceError):
    """An order, its number or one of its quantities breaks a rule; the message is French."""


def order_number(insee_code: str, year: int, sequence: int) -> str:
    """BC-38053-2027-0001: the commune's INSEE code, the year, the sequence on four digits."""
    if not insee_code:
        raise OrderRefused("une commune sans code INSEE ne peut pas numéroter ses bons de commande")
    if sequence < 1:
        raise OrderRefused("la numérotation commence à 1")
    return ORDER_NUMBER_FORMAT.format(insee=insee_code, year=year, sequence=sequence)


# --- execution period of the contract -----------------------------------------------------------------


def contract_end(start: date, duration_months: int) -> date:
    """The last day of execution: 01/01/2027 + 12 months -> 31/12/2027; 31/01/2027 + 1 -> 28/02/2027."""
    if duration_months < 1:
        raise OrderRefused("la durée d'un marché est d'au moins un mois")
    months = start.month - 1 + duration_months
    year, month = start.year + months // 12, months % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    if start.day > last_day:  # no such day in that month: the period ends on its last day
        return date(year, month, last_day)
    return date(year, month, start.day) - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The same day `months` months later (or earlier when negative), or that month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ExecutionPeriod:
    """When orders may be placed under a contract: from its start of execution to its end, and
    never before its notification."""

    number: str
    notified_on: date
    start: date
    end: date

    @classmethod
    def of(cls, number: str, notified_on: date, start: date, duration_months: int) -> ExecutionPeriod:
        return cls(number, notified_on, start, contract_end(start, duration_months))

    @property
    def first_order_day(self) -> date:
        return max(self.start, self.notified_on)

    def refusal(self, today: date) -> str | None:
        """Why no order can be placed on `today` (French, dates 28/11/2026), or None when it can."""
        period = f"période d'exécution du {_d(self.start)} au {_d(self.end)}"
        if today < self.notified_on:
            return (
                f"Commande refusée : le marché n° {self.number} n'est notifié que le {_d(self.notified_on)} ; "
                f"aucune commande avant sa notification ({period})."
            )
        if today < self.start:
            return (
                f"Commande refusée : l'exécution du marché n° {self.number} ne commence que le {_d(self.start)} "
                f"({period}) ; aujourd'hui {_d(today)}."
            )
        if today > self.end:
            return f"Commande refusée : le marché n° {self.number} a pris fin le {_d(self.end)} ({period})."
        return None

    def open_on(self, today: date) -> bool:
        return self.refusal(today) is None


def check_order_date(period: ExecutionPeriod, today: date) -> None:
    """Raise OrderRefused unless an order may be placed under the contract on `today`."""
    refusal = period.refusal(today)
    if refusal:
        raise OrderRefused(refusal)


def _d(value: date) -> str:
    return f"{value:%d/%m/%Y}"


def parse_order_quantity(raw: object) -> int:
    """A quantity ordered or received: a whole number from 1 to 1 000 000 (French errors)."""
    try:
        quantity = parse_quantity(raw)
    except ValueError as error:  # the campaigns' parser speaks ValueError: said again as a refusal
        raise OrderRefused(str(error)) from None
    if quantity == 0:
        raise OrderRefused("la quantité doit être au moins 1")
    return quantity


def line_amount(quantity: int, unit_price: Decimal, eco_participation: Decimal) -> Decimal:
    """The HT amount of an order line, rounded to the cent once (half up)."""
    return priced_line_amount(quantity, unit_price + eco_participation)


def vat_amount(amount_ht: Decimal, vat_rate: Decimal) -> Decimal:
    """The VAT of an amount at a rate given in per cent (20.00)."""
    return vat_of_base(amount_ht, vat_rate)


@dataclass(frozen=True)
class VatRow:
    rate: Decimal
    base_ht: Decimal
    vat: Decimal


def vat_breakdown(lines: Iterable[tuple[Decimal, Decimal]]) -> list[VatRow]:
    """(amount HT, rate) lines -> one row per rate (base, VAT rounded once per rate), by rate."""
    bases: dict[Decimal, Decimal] = {}
    for amount_ht, rate in lines:
        key = round_half_up(rate, CENT)
        bases[key] = bases.get(key, Decimal("0")) + amount_ht
    return [VatRow(rate=rate, base_ht=base, vat=vat_amount(base, rate)) for rate, base in sorted(bases.items())]


# --- consumption of the contract -------------------------------------------------------------------


class ConsumptionLevel(StrEnum):
    OK = "ok"
    WARNING = "warning"  # 80 % of the maximum reached
    REFUSED = "refused"  # beyond 100 %: the order would break the contract's maximum

    @property
    def label(self) -> str:
        return {"ok": "Normal", "warning": "Seuil d'alerte atteint", "refused": "Maximum dépassé"}[self.value]


def consumption_ratio(ordered_ht: Decimal, maximum: Decimal) -> Decimal:
    """The share of the maximum already ordered, as a fraction (0.8 = 80 %), 4 decimals."""
    if maximum <= 0:
        raise OrderRefused("le montant maximum doit être positif")
    return round_half_up(ordered_ht / maximum, RATIO_STEP)


def consumption_level(ordered_ht: Decimal, maximum: Decimal) -> ConsumptionLevel:
    if ordered_ht > maximum:
        return ConsumptionLevel.REFUSED
    if ordered_ht >= maximum * WARNING_RATIO:
        return ConsumptionLevel.WARNING
    return ConsumptionLevel.OK


@dataclass(frozen=True)
class ConsumptionCheck:
    """What an order of `amount_ht` would do to the contract."""

    maximum: Decimal
    already_ordered: Decimal
    amount_ht: Decimal

    @property
    def new_total(self) -> Decimal:
        return self.already_ordered + self.amount_ht

    @property
    def ratio(self) -> Decimal:
        return consumption_ratio(self.new_total, self.maximum)

    @property
    def level(self) -> ConsumptionLevel:
        return consumption_level(self.new_total, self.maximum)

    @property
    def remaining(self) -> Decimal:
        """What could still be ordered before this order (never negative)."""
        return max(self.maximum - self.already_ordered, Decimal("0"))

    @property
    def refused(self) -> bool:
        return self.level is ConsumptionLevel.REFUSED

    @property
    def warning(self) -> bool:
        return self.level is ConsumptionLevel.WARNING


def check_consumption(maximum: Decimal, already_ordered: Decimal, amount_ht: Decimal) -> ConsumptionCheck:
    return ConsumptionCheck(maximum=maximum, already_ordered=already_ordered, amount_ht=amount_ht)


# --- consumption of a commune against its needs ---------------------------------------------------


@dataclass(frozen=True)
class NeedsUse:
    """One contract line for one commune: its validated need, what it ordered before, what it orders now."""

    label: str
    needed: int
    already_ordered: int = 0
    ordering: int = 0

    @property
    def total(self) -> int:
        return self.already_ordered + self.ordering

    @property
    def over(self) -> int:
        """Units beyond the validated need (0 when within)."""
        return max(self.total - self.needed, 0)

    @property
    def remaining(self) -> int:
        return max(self.needed - self.already_ordered, 0)


def needs_overruns(uses: Iterable[NeedsUse]) -> list[str]:
    """French warnings for the lines of this order that take the commune beyond its needs.

    Only lines ordered now count (an earlier overrun was already reported)."""
    warnings = []
    for use in uses:
        if use.ordering and use.over:
            needed = "aucun besoin validé" if use.needed == 0 else f"besoin validé : {_int(use.needed)}"
            warnings.append(
                f"{use.label} : {_agreed(use.total, 'commandé')} au total ({needed}, dépassement de {_int(use.over)})."
            )
    return warnings


# --- delivery (service fait) -------------------------------------------------------------------------


class DeliveryRefused(OrderRefused):
    """A delivery that cannot be recorded; the message is French."""


class DeliveryStatus(StrEnum):
    WAITING = "waiting"
    PARTIAL = "partial"
    DELIVERED = "delivered"

    @property
    def label(self) -> str:
        return {"waiting": "À livrer", "partial": "Livraison partielle", "delivered": "Livrée"}[self.value]


def delivery_status(ordered: int, delivered: int) -> DeliveryStatus:
    if delivered <= 0:
        return DeliveryStatus.WAITING
    if delivered < ordered:
        return DeliveryStatus.PARTIAL
    return DeliveryStatus.DELIVERED


def order_delivery_status(lines: Iterable[tuple[int, int]]) -> DeliveryStatus:
    """(ordered, delivered) per line -> the order's status: delivered when every line is."""
    statuses = {delivery_status(ordered, delivered) for ordered, delivered in lines}
    if not statuses or statuses == {DeliveryStatus.WAITING}:
        return DeliveryStatus.WAITING
    if statuses == {DeliveryStatus.DELIVERED}:
        return DeliveryStatus.DELIVERED
    return DeliveryStatus.PARTIAL


def check_delivery(
    ordered: int, already_delivered: int, quantity: int, delivered_on: date, order_date: date, today: date
) -> None:
    """Raise DeliveryRefused unless `quantity` received on `delivered_on` can be recorded."""
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise DeliveryRefused("La quantité reçue doit être un nombre entier d'au moins 1.")
    if quantity > MAX_QUANTITY:
        raise DeliveryRefused("Quantité reçue invraisemblable (plus de 1 000 000).")
    if delivered_on > today:
        raise DeliveryRefused("La date de livraison ne peut pas être dans le futur.")
    if delivered_on < order_date:
        raise DeliveryRefused(
            f"La date de livraison ne peut pas précéder la date du bon de commande ({order_date:%d/%m/%Y})."
        )
    remaining = ordered - already_delivered
    if quantity > remaining:
        if remaining <= 0:
            raise DeliveryRefused(f"Cette ligne est déjà entièrement livrée ({_agreed(ordered, 'commandé')}).")
        raise DeliveryRefused(
            f"Livraison supérieure à la commande : {_agreed(quantity, 'reçu')} alors qu'il reste "
            f"{_int(remaining)} à livrer sur {_agreed(ordered, 'commandé')}."
        )


def _int(value: int) -> str:
    """1 234 (narrow no-break space as the thousands separator), without importing babel here."""
    return f"{value:,}".replace(",", "\u202f")


def _agreed(value: int, participle: str) -> str:
    """'1 commandé', '3 commandés'."""
    return f"{_int(value)} {participle}{'s' if value > 1 else ''}"
