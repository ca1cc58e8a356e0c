"""The standstill period (délai de suspension) between sending the rejection letters and signing
the contract: pure rules, the law kept as dated data.

Code de la commande publique, art. R2182-1 (in force since 1 April 2019, as art. 101 of décret
n° 2016-360 before it): for a contract awarded after a formal procedure, at least 11 days between
the sending of the rejection decisions (R2181-1 and R2181-3) and the signature of the contract;
16 days when they were not sent electronically.

Counting (Conseil d'État, 2 août 2011, n° 347526, « Clean Garden » line; DAJ guidance): calendar
days, date to date, the day of sending counted: letters sent on 28/12/2010 by post (16 days), the
period ends on 12/01/2011 in the evening and the contract may be signed on 13/01/2011. Weekends
and public holidays change nothing (no extension to the next working day: the rule departs from
règlement CEE n° 1182/71 here).

Not required: adapted procedures (MAPA) and contracts without competition, and a contract awarded
to the only bidder (the period protects the rejected bidders: there is none). Subsequent
contracts of a framework agreement are not concerned either (not handled here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class StandstillRule:
    in_force_from: date
    electronic_days: int
    paper_days: int
    source: str


RULES: tuple[StandstillRule, ...] = (
    StandstillRule(date(2016, 4, 1), 11, 16, "décret n° 2016-360, art. 101"),
    StandstillRule(date(2019, 4, 1), 11, 16, "Code de la commande publique, art. R2182-1"),
)


class NoRuleForDate(ValueError):
    pass


def rule_on(day: date) -> StandstillRule:
    """The rule in force on the day the letters are sent."""
    in_force = [rule for rule in RULES if rule.in_force_from <= day]
    if not in_force:
        raise NoRuleForDate(f"Aucune règle de délai de suspension connue au {day:%d/%m/%Y}.")
    return max(in_force, key=lambda rule: rule.in_force_from)


def required(*, formal_procedure: bool, offers_received: int) -> bool:
    """Whether the award must wait for a standstill period before it is signed and notified."""
    return formal_procedure and offers_received > 1


@dataclass(frozen=True)
class Standstill:
    sent_on: date
    electronic: bool
    days: int
    source: str

    @property
    def last_day(self) -> date:
        """The last day of the period (the day of sending is its first day)."""
        return self.sent_on + timedelta(days=self.days - 1)

    @property
    def first_signing_day(self) -> date:
        """The first day the contract may be signed and notified."""
        return self.sent_on + timedelta(days=self.days)

    def allows(self, day: date) -> bool:
        return day >= self.first_signing_day

    def refusal(self, day: date) -> str | None:
        """The French message refusing a notification on that day, or None when it is allowed."""
        if self.allows(day):
            return None
        means = "par voie électronique" if self.electronic else "autrement que par voie électronique"
        return (
            f"Le délai de suspension court jusqu'au {self.last_day:%d/%m/%Y} inclus ({self.days} jours depuis "
            f"l'envoi des lettres de rejet {means} le {self.sent_on:%d/%m/%Y}, {self.source}) : "
            f"le marché peut être signé et notifié à partir du {self.first_signing_day:%d/%m/%Y}."
        )


def standstill(sent_on: date, *, electronic: bool) -> Standstill:
    rule = rule_on(sent_on)
    days = rule.electronic_days if electronic else rule.paper_days
    return Standstill(sent_on, electronic, days, rule.source)
