"""Purchasing families: the scopes a groupement covers and a commune joins."""

from __future__ import annotations

from enum import StrEnum


class Family(StrEnum):
    INFORMATIQUE = "informatique"
    FOURNITURES = "fournitures"
    VEHICULES = "vehicules"

    @property
    def label(self) -> str:
        return FAMILY_LABELS[self]


FAMILY_LABELS = {
    Family.INFORMATIQUE: "Informatique",
    Family.FOURNITURES: "Fournitures de bureau",
    Family.VEHICULES: "Véhicules",
}

# M57 expense account a member books each family to (domain-facts §7).
DEFAULT_ACCOUNT = {
    Family.INFORMATIQUE: "2183",
    Family.FOURNITURES: "6064",
    Family.VEHICULES: "2182",
}


def parse_families(text: str) -> frozenset[Family]:
    """'informatique,vehicules' -> {Family.INFORMATIQUE, Family.VEHICULES}; '' -> empty."""
    return frozenset(Family(part.strip()) for part in text.split(",") if part.strip())


def format_families(families: frozenset[Family] | set[Family]) -> str:
    return ",".join(sorted(f.value for f in families))
