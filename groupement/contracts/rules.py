"""Award decisions. Pure."""

from __future__ import annotations

from enum import StrEnum


class AwardDecision(StrEnum):
    AWARDED = "awarded"
    UNSUCCESSFUL = "unsuccessful"

    @property
    def label(self) -> str:
        return {"awarded": "attribué", "unsuccessful": "déclaré infructueux"}[self.value]
