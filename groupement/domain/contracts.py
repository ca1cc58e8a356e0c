"""States and rules shared by offers, awards, contracts and purchase orders. Pure."""

from __future__ import annotations

from enum import StrEnum


class AwardDecision(StrEnum):
    AWARDED = "awarded"
    UNSUCCESSFUL = "unsuccessful"

    @property
    def label(self) -> str:
        return {"awarded": "attribué", "unsuccessful": "déclaré infructueux"}[self.value]


class OfferSource(StrEnum):
    FILE = "file"  # the bidder's priced DQE, imported
    KEYED = "keyed"  # keyed in by the officer from a paper or PDF offer

    @property
    def label(self) -> str:
        return {"file": "fichier importé", "keyed": "saisie manuelle"}[self.value]
