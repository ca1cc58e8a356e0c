"""Default allotment: lots by family and CPV group (L2113-10: one lot per distinct part).

The officer then moves items, renames, merges, splits; this only gives a sensible start.
"""

from __future__ import annotations

from dataclasses import dataclass

from groupement.lots.rules import LotRuleError
from groupement.organisations.families import Family


@dataclass(frozen=True)
class LotRule:
    family: Family
    title: str
    cpv_prefixes: tuple[str, ...] = ()
    ref_prefixes: tuple[str, ...] = ()  # for CPV codes shared by distinct goods (electric vehicles)

    def matches(self, family: Family, cpv: str, ref: str) -> bool:
        if family is not self.family:
            return False
        catch_all = not self.cpv_prefixes and not self.ref_prefixes
        return catch_all or cpv.startswith(self.cpv_prefixes) or ref.startswith(self.ref_prefixes)


# Ordered: the first matching rule wins; each family ends with a catch-all lot.
RULES = (
    LotRule(
        Family.INFORMATIQUE,
        "Postes de travail, écrans et accessoires",
        ("30213", "30231", "30237", "32342", "32250", "30236"),
    ),
    LotRule(Family.INFORMATIQUE, "Impression et numérisation", ("30232", "30216", "30121", "42991")),
    LotRule(Family.INFORMATIQUE, "Réseau, stockage et alimentation", ("324", "32413", "30233", "3115", "48")),
    LotRule(Family.INFORMATIQUE, "Autres équipements informatiques et audiovisuels"),
    LotRule(Family.FOURNITURES, "Papier et enveloppes", ("30197630", "30197642", "30199230", "301976")),
    LotRule(Family.FOURNITURES, "Consommables d'impression", ("30125", "30192113")),
    LotRule(Family.FOURNITURES, "Petites fournitures de bureau"),
    LotRule(Family.VEHICULES, "Véhicules utilitaires", ("3413", "34136", "34134", "34144700"), ("VEH-VU", "VEH-QUAD")),
    LotRule(Family.VEHICULES, "Véhicules particuliers et minibus", ("3411", "34144900"), ("VEH-VP", "VEH-TC")),
    LotRule(Family.VEHICULES, "Deux-roues, cycles, remorques et recharge"),
)


def default_lot(family: Family, cpv: str, ref: str) -> tuple[int, str]:
    """(rank, title) of the lot an item starts in; rank orders lots for numbering."""
    for rank, rule in enumerate(RULES):
        if rule.matches(family, cpv, ref):
            return rank, rule.title
    raise LotRuleError(f"aucun lot par défaut pour la famille {family}")
