"""Offers: where an offer comes from. Pure."""

from __future__ import annotations

from enum import StrEnum


class OfferSource(StrEnum):
    FILE = "file"  # the bidder's priced DQE, imported
    KEYED = "keyed"  # keyed in by the officer from a paper or PDF offer

    @property
    def label(self) -> str:
        return {"file": "fichier importé", "keyed": "saisie manuelle"}[self.value]
