"""Award decisions and the price type of a contract. Pure."""

from __future__ import annotations

from enum import StrEnum


class AwardDecision(StrEnum):
    AWARDED = "awarded"
    UNSUCCESSFUL = "unsuccessful"

    @property
    def label(self) -> str:
        return {"awarded": "attribué", "unsuccessful": "déclaré infructueux"}[self.value]


class PriceType(StrEnum):
    """The price type of a contract, as the open data (DECP typePrix) spells it."""

    FERME = "Définitif ferme"
    ACTUALISABLE = "Définitif actualisable"
    REVISABLE = "Définitif révisable"

    @property
    def label(self) -> str:
        return {
            "Définitif ferme": "Prix ferme",
            "Définitif actualisable": "Prix actualisable",
            "Définitif révisable": "Prix révisable",
        }[self.value]
