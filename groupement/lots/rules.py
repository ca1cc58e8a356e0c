"""Lots: their states and the amounts that frame the framework agreement."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from groupement.core.errors import ServiceError
from groupement.core.money import ceiling, to_cents

MAX_DURATION_MONTHS = 48  # R2162-4: a framework agreement lasts at most four years
DEFAULT_DURATION_MONTHS = 48
DEFAULT_MARGIN_PERCENT = Decimal("20")


class LotRuleError(ServiceError):
    """A lot rule refused (allotment, aggregation, amounts, procedure advice); French message."""


class LotStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    AWARDED = "awarded"
    UNSUCCESSFUL = "unsuccessful"

    @property
    def label(self) -> str:
        return {"draft": "en préparation", "published": "publié", "awarded": "attribué", "unsuccessful": "infructueux"}[
            self.value
        ]

    def counted(self, count: int) -> str:
        """The label agreeing with a count of lots: « 3 attribués », « 2 en préparation »."""
        return f"{self.label}s" if count > 1 and self.value in ("published", "awarded") else self.label


class Ccag(StrEnum):
    """The general administrative terms a lot refers to, as the open data (DECP) spells them."""

    TRAVAUX = "Travaux"
    MAITRISE_OEUVRE = "Maitrise d'œuvre"
    FOURNITURES_COURANTES_SERVICES = "Fournitures courantes et services"
    MARCHES_INDUSTRIELS = "Marchés industriels"
    PRESTATIONS_INTELLECTUELLES = "Prestations intellectuelles"
    TIC = "Techniques de l'information et de la communication"
    AUCUN = "Pas de CCAG"


@dataclass(frozen=True)
class LotAmounts:
    yearly_estimate: Decimal  # Σ lines, the communes' needs for one year
    duration_estimate: Decimal  # over the whole duration (R2121-1: recurring needs)
    default_maximum: Decimal  # duration estimate plus the margin, rounded up to the euro


def lot_amounts(line_amounts: list[Decimal], duration_months: int, margin_percent: Decimal) -> LotAmounts:
    if not 1 <= duration_months <= MAX_DURATION_MONTHS:
        raise LotRuleError(f"durée de {duration_months} mois hors de 1 à {MAX_DURATION_MONTHS} mois")
    if margin_percent < 0:
        raise LotRuleError("la marge ne peut pas être négative")
    yearly = to_cents(sum(line_amounts, Decimal(0)))
    over_duration = to_cents(yearly * duration_months / 12)
    maximum = ceiling(over_duration * (1 + margin_percent / 100))
    return LotAmounts(yearly, over_duration, maximum)
