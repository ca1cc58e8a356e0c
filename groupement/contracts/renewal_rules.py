"""Renewals (reconductions) of a framework contract, as pure dated rules.

- A contract runs a first period of `duration_months`, then up to `renewal_count` renewal
  periods of `renewal_months` each; the whole stays within 48 months (R2162-4, renewals included).
- Renewals are express: for each renewal period, in order, the coordinator decides to renew or
  not, at the latest on the notice deadline, the day before the date `notice_months` months
  before the period would start (notice 3 months, next period from 01/01/2028: decision by
  30/09/2027). Without a decision by then the contract is not renewed: it ends at the end of the
  current period. A decision not to renew may be recorded until that end; it closes the renewals.
- Each renewal moves the end of the execution period (order_rules.contract_end on the first
  period plus the renewed periods).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from groupement.contracts.order_rules import add_months, contract_end
from groupement.core.errors import ServiceError

MAX_TOTAL_MONTHS = 48  # R2162-4: four years, renewals included
MAX_NOTICE_MONTHS = 12


class RenewalRefused(ServiceError):
    """A renewal decision or renewal terms that break a rule; the message is French."""


@dataclass(frozen=True)
class RenewalTerms:
    start: date
    duration_months: int
    renewal_count: int
    renewal_months: int
    notice_months: int

    def check(self) -> None:
        if self.renewal_count < 0 or self.renewal_count > MAX_TOTAL_MONTHS:
            raise RenewalRefused("Nombre de reconductions : entre 0 et 47.")
        if not 1 <= self.renewal_months <= MAX_TOTAL_MONTHS:
            raise RenewalRefused("Durée d'une période de reconduction : entre 1 et 48 mois.")
        if not 0 <= self.notice_months <= MAX_NOTICE_MONTHS:
            raise RenewalRefused(f"Préavis : entre 0 et {MAX_NOTICE_MONTHS} mois.")
        total = self.total_months(self.renewal_count)
        if total > MAX_TOTAL_MONTHS:
            raise RenewalRefused(
                f"Durée totale de {total} mois ({self.duration_months} mois + {self.renewal_count} × "
                f"{self.renewal_months} mois) : un accord-cadre dure au plus {MAX_TOTAL_MONTHS} mois, "
                "reconductions comprises (R2162-4)."
            )

    def total_months(self, renewed: int) -> int:
        return self.duration_months + renewed * self.renewal_months

    def end_after(self, renewed: int) -> date:
        """The last day of execution once `renewed` periods are renewed."""
        return contract_end(self.start, self.total_months(renewed))

    def deadline(self, period: int) -> date:
        """The last day to decide on renewal period `period` (1 = the first renewal)."""
        next_start = self.end_after(period - 1) + timedelta(days=1)
        return add_months(next_start, -self.notice_months) - timedelta(days=1)


@dataclass(frozen=True)
class RenewalState:
    renewed: int  # periods renewed so far
    closed: bool  # a decision not to renew was recorded


@dataclass(frozen=True)
class PendingRenewal:
    period: int
    deadline: date
    period_start: date
    period_end: date
    late: bool  # the deadline is past: no renewal any more (the contract ends at `period_start` - 1)


def pending(terms: RenewalTerms, state: RenewalState, today: date) -> PendingRenewal | None:
    """The next renewal period to decide, or None (none left, or renewals closed)."""
    if state.closed or state.renewed >= terms.renewal_count:
        return None
    period = state.renewed + 1
    start = terms.end_after(state.renewed) + timedelta(days=1)
    if today >= start:  # the period would already have started: the contract ended
        return None
    deadline = terms.deadline(period)
    return PendingRenewal(period, deadline, start, terms.end_after(period), today > deadline)


def decide(terms: RenewalTerms, state: RenewalState, period: int, renew: bool, today: date) -> RenewalState:
    """The state after deciding on `period`; raises RenewalRefused with the dates."""
    if state.closed:
        raise RenewalRefused(
            "Les reconductions de ce marché sont closes : une décision de non-reconduction a été prise."
        )
    if state.renewed >= terms.renewal_count:
        raise RenewalRefused(f"Toutes les reconductions prévues ({terms.renewal_count}) ont été décidées.")
    if period != state.renewed + 1:
        raise RenewalRefused(
            f"La prochaine décision porte sur la reconduction n° {state.renewed + 1}, pas n° {period}."
        )
    end = terms.end_after(state.renewed)
    if today > end:
        raise RenewalRefused(f"Le marché a pris fin le {_d(end)} : il ne peut plus être reconduit.")
    deadline = terms.deadline(period)
    if renew and today > deadline:
        raise RenewalRefused(
            f"Reconduction n° {period} refusée : la date limite de décision (préavis de {terms.notice_months} mois) "
            f"était le {_d(deadline)} ; aujourd'hui {_d(today)}. Sans décision, le marché prend fin le {_d(end)}."
        )
    if renew:
        return RenewalState(state.renewed + 1, False)
    return RenewalState(state.renewed, True)


def _d(value: date) -> str:
    return f"{value:%d/%m/%Y}"
