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


class ContractNature(StrEnum):
    """What the contract buys: supplies, services or works. Works have their own limits (the
    de minimis amendments: 15 % instead of 10 %, R2194-8; the European works threshold). The DECP
    schema has no field for it (its `nature` is the legal category, « Marché »): the CPV code says it."""

    FOURNITURES = "fournitures"
    SERVICES = "services"
    TRAVAUX = "travaux"

    @property
    def label(self) -> str:
        return {"fournitures": "Fournitures", "services": "Services", "travaux": "Travaux"}[self.value]

    @property
    def is_works(self) -> bool:
        return self is ContractNature.TRAVAUX
