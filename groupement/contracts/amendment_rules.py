"""Amendments (modifications, avenants) of a contract and their legal limits, as pure dated rules.

A modification changes the maximum amount (up or down) and/or the object; it needs a ground of
R2194-1 to R2194-8 (Code de la commande publique):
- R2194-8 (de minimis), with no other ground: the modifications on this ground, cumulated
  (R2194-9, in absolute value), stay strictly below the European threshold in force on the day
  of the modification AND below 10 % of the initial amount for supplies and services (15 % for
  works). Both limits are dated data (THRESHOLDS, DE_MINIMIS_SHARES), selected by date.
- R2194-1 (review clause), R2194-2 (supplementary purchases), R2194-5 (unforeseeable
  circumstances), R2194-6 (new holder), R2194-7 (non-substantial): a written justification is
  required; on R2194-2 and R2194-5 each modification stays within 50 % of the initial amount
  (R2194-3 for a buyer that is a pouvoir adjudicateur, as communes and EPCI are; R2194-5 applies
  R2194-3's limit to unforeseeable circumstances; with several modifications the limit applies to
  each one, not to their sum: R2194-3, 2nd paragraph, and the ministerial answer JO Sénat
  30/03/2023 n° 04407).
- Works or not is the contract's nature (contracts/rules.ContractNature).
- The new maximum stays above zero.
Refusals name the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from groupement.contracts.rules import ContractNature
from groupement.core.errors import ServiceError
from groupement.core.formatting import euros

MIN_JUSTIFICATION = 20  # characters: a ground other than de minimis is explained
HALF = Decimal("0.50")


class AmendmentRefused(ServiceError):
    """An amendment outside the legal limits, or incomplete; the message is French, with figures."""


class Ground(StrEnum):
    DE_MINIMIS = "R2194-8"
    REVIEW_CLAUSE = "R2194-1"
    SUPPLEMENTARY = "R2194-2"
    UNFORESEEABLE = "R2194-5"
    NEW_HOLDER = "R2194-6"
    NON_SUBSTANTIAL = "R2194-7"

    @property
    def label(self) -> str:
        return {
            "R2194-8": "Modification de faible montant (R2194-8)",
            "R2194-1": "Clause de réexamen prévue au marché (R2194-1)",
            "R2194-2": "Prestations supplémentaires devenues nécessaires (R2194-2)",
            "R2194-5": "Circonstances imprévues (R2194-5)",
            "R2194-6": "Nouveau titulaire (R2194-6)",
            "R2194-7": "Modification non substantielle (R2194-7)",
        }[self.value]


@dataclass(frozen=True)
class Dated:
    """A legal value in force from `start` (included) to `end` (included, None: still in force)."""

    start: date
    end: date | None
    supplies_services: Decimal
    works: Decimal

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


# European thresholds for local authorities (€ HT), supplies and services / works: règlements délégués
# (UE) 2021/1952 (2022-2023), 2023/2497 (2024-2025) and 2025/2152 of 22/10/2025 (2026-2027: works
# 5 538 000 -> 5 404 000, supplies and services 221 000 -> 216 000), in the notice annexed to the Code
# (annexe 2, avis published at the JORF of 26/12/2025). Checked on 03/12/2026 against the Commission's
# and the DAJ's tables as relayed by adden-leblog.com and weka.fr (01/2026).
THRESHOLDS = (
    Dated(date(2022, 1, 1), date(2023, 12, 31), Decimal("215000"), Decimal("5382000")),
    Dated(date(2024, 1, 1), date(2025, 12, 31), Decimal("221000"), Decimal("5538000")),
    Dated(date(2026, 1, 1), None, Decimal("216000"), Decimal("5404000")),
)
# R2194-8: share of the initial amount (décret 2019-1344, in force since 01/04/2019).
DE_MINIMIS_SHARES = (Dated(date(2019, 4, 1), None, Decimal("0.10"), Decimal("0.15")),)


def in_force(table: tuple[Dated, ...], day: date) -> Dated:
    for row in table:
        if row.covers(day):
            return row
    raise AmendmentRefused(f"Aucune valeur légale connue pour le {day:%d/%m/%Y}.")


@dataclass(frozen=True)
class AmendmentCheck:
    maximum_before: Decimal
    maximum_after: Decimal
    de_minimis_cumulated: Decimal  # after this modification (R2194-8 ones only)
    limit: Decimal | None  # the binding de minimis limit, or None on another ground


def check_amendment(
    *,
    initial_amount: Decimal,
    current_maximum: Decimal,
    amount: Decimal,
    ground: Ground,
    justification: str,
    de_minimis_before: Decimal,
    on: date,
    nature: ContractNature = ContractNature.FOURNITURES,
    object_change: str = "",
) -> AmendmentCheck:
    """The checked amendment, or AmendmentRefused with the figures."""
    if amount == 0 and not object_change.strip():
        raise AmendmentRefused("Un avenant modifie le montant maximum, l'objet, ou les deux : rien n'est modifié ici.")
    after = current_maximum + amount
    if after <= 0:
        raise AmendmentRefused(
            f"Le montant maximum deviendrait {euros(after)} HT : il doit rester positif "
            f"(actuel {euros(current_maximum)} HT, modification {euros(amount)} HT)."
        )
    if ground is Ground.DE_MINIMIS:
        cumulated = de_minimis_before + abs(amount)
        share, by_share, threshold = de_minimis_limits(nature, initial_amount, on)
        if cumulated >= threshold or cumulated >= by_share:
            raise AmendmentRefused(
                f"Avenant refusé : les modifications de faible montant (R2194-8) cumulées atteindraient "
                f"{euros(cumulated)} HT (déjà {euros(de_minimis_before)} HT + {euros(abs(amount))} HT) ; elles "
                f"doivent rester sous {int(share * 100)} % du montant initial ({euros(by_share)} HT pour "
                f"{euros(initial_amount)} HT, {nature.label.lower()}) et sous le seuil européen en vigueur le "
                f"{on:%d/%m/%Y} "
                f"({euros(threshold)} HT). Choisissez un autre fondement (R2194-1 à R2194-7) et justifiez-le."
            )
        return AmendmentCheck(current_maximum, after, cumulated, min(threshold, by_share))
    if len(justification.strip()) < MIN_JUSTIFICATION:
        raise AmendmentRefused(
            f"Avenant refusé : le fondement « {ground.label} » demande une justification écrite "
            f"(au moins {MIN_JUSTIFICATION} caractères)."
        )
    if ground in (Ground.SUPPLEMENTARY, Ground.UNFORESEEABLE) and abs(amount) > initial_amount * HALF:
        raise AmendmentRefused(
            f"Avenant refusé : {euros(abs(amount))} HT dépasse 50 % du montant initial "
            f"({euros(initial_amount * HALF)} HT pour {euros(initial_amount)} HT) (R2194-3)."
        )
    return AmendmentCheck(current_maximum, after, de_minimis_before, None)


def _of(row: Dated, nature: ContractNature) -> Decimal:
    return row.works if nature.is_works else row.supplies_services


def de_minimis_limits(nature: ContractNature, initial_amount: Decimal, on: date) -> tuple[Decimal, Decimal, Decimal]:
    """(the share of the initial amount, that share in euros, the European threshold) for R2194-8."""
    share = _of(in_force(DE_MINIMIS_SHARES, on), nature)
    return share, initial_amount * share, _of(in_force(THRESHOLDS, on), nature)
