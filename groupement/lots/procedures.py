"""Procedure advice for tender lots: which award procedure each lot calls for, explained in French. Pure.

Rules (shared/domain-facts.md §2 and §3; Code de la commande publique, "CCP"):

- Estimated value (CCP R2121-1, R2121-6, R2121-7, R2121-8): supplies that are homogeneous are
  added up across all lots and all members of the groupement, over the whole duration (for a
  framework agreement, the estimated maximum of all orders). The caller says which lots are
  homogeneous through ``LotValue.group`` (the purchasing family) and gives each lot's maximum over
  the whole duration; the value compared to the thresholds is the *group total*.
- Group total at or above the formalised threshold (221 000 € HT for consultations launched until
  31/12/2025, 216 000 € HT from 01/01/2026: règlement délégué (UE) 2023/2497, then règlement
  délégué (UE) 2025/2152): appel d'offres, notice in the BOAMP and the JOUE.
- Petits lots (CCP R2123-1 2°): in such a group, lots each under 80 000 € HT whose cumulated amount
  does not exceed 20 % of the group total may use the adapted procedure (MAPA). They are chosen
  smallest first (ties: lot number) while the cumulated amount stays within 20 %. Those among them
  also under the no-competition threshold may be awarded without advertising or competition
  (CCP R2122-8 first paragraph, "lots ... qui remplissent la condition prévue au b du 2° de
  l'article R. 2123-1", whose amount follows the no-competition threshold since décret 2025-1386).
  The exception is only offered when the group total is at or above the formalised threshold.
- Below the formalised threshold: group total under the no-competition threshold (40 000 € HT;
  60 000 € HT for consultations launched from 01/04/2026, décret 2025-1386 du 29/12/2025, art. 1er
  1° b and art. 3) → no advertising and no competition (R2122-8); under 90 000 € HT → MAPA with
  free advertising; otherwise MAPA with a notice in the BOAMP or a JAL (R2131-12).
- DECP (CCP R2196-1, arrêté du 22/12/2022): essential data to publish when the lot's own amount is
  at or above 40 000 € HT.
- From 21/08/2026 at least one award criterion concerns environmental characteristics (L2152-7).

Boundaries: every threshold is a floor of the band above it. "Under X" means strictly less than X;
an amount equal to X belongs to the band "X and above" (216 000 € HT → appel d'offres, 40 000 € HT
→ DECP due, 80 000 € HT → not a petit lot). The 20 % cap is inclusive: exactly 20 % is allowed
("n'excède pas 20 %").

Thresholds are data (``THRESHOLDS``) selected by the launch date of the consultation, i.e. the day
the consultation is engaged or the notice is sent for publication (décret 2025-1386, art. 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from groupement.core.formatting import date_fr, number, percent
from groupement.lots.rules import LotRuleError


class Procedure(StrEnum):
    NO_COMPETITION = "no_competition"
    MAPA_FREE = "mapa_free"
    MAPA_NOTICE = "mapa_notice"
    FORMALISED = "formalised"

    @property
    def label(self) -> str:
        return PROCEDURE_LABELS[self]


PROCEDURE_LABELS = {
    Procedure.NO_COMPETITION: "Sans publicité ni mise en concurrence préalables (art. R2122-8)",
    Procedure.MAPA_FREE: "Procédure adaptée, publicité libre",
    Procedure.MAPA_NOTICE: "Procédure adaptée avec avis au BOAMP ou dans un JAL (art. R2131-12)",
    Procedure.FORMALISED: "Appel d'offres (procédure formalisée), avis au BOAMP et au JOUE",
}


@dataclass(frozen=True)
class Threshold:
    """A dated legal value, € HT unless said otherwise.

    It applies to consultations launched from ``effective_from`` to ``effective_to``, BOTH
    INCLUSIVE (``effective_to`` is the last launch day it applies to); ``None`` means open-ended.
    """

    key: str
    value: Decimal
    effective_from: date | None
    effective_to: date | None
    source: str

    def applies_on(self, launch_date: date) -> bool:
        return (self.effective_from is None or self.effective_from <= launch_date) and (
            self.effective_to is None or launch_date <= self.effective_to
        )


# Keys: "formalised", "no_competition", "notice", "decp", "small_lot" (€ HT), "small_lots_share"
# (per cent of the group total, stored as 20 for 20 %).
THRESHOLDS: tuple[Threshold, ...] = (
    Threshold(
        "formalised",
        Decimal("221000"),
        date(2024, 1, 1),
        date(2025, 12, 31),
        "règlement délégué (UE) 2023/2497 (seuils 2024-2025)",
    ),
    Threshold(
        "formalised", Decimal("216000"), date(2026, 1, 1), None, "règlement délégué (UE) 2025/2152 (seuils 2026-2027)"
    ),
    Threshold(
        "no_competition",
        Decimal("40000"),
        date(2023, 1, 1),
        date(2026, 3, 31),
        "art. R2122-8 (décret 2022-1683 du 28/12/2022)",
    ),
    Threshold(
        "no_competition",
        Decimal("60000"),
        date(2026, 4, 1),
        None,
        "art. R2122-8 (décret 2025-1386 du 29/12/2025, consultations engagées à partir du 01/04/2026)",
    ),
    Threshold("notice", Decimal("90000"), None, None, "art. R2131-12"),
    Threshold("decp", Decimal("40000"), None, None, "art. R2196-1 ; arrêté du 22/12/2022"),
    Threshold("small_lot", Decimal("80000"), None, None, "art. R2123-1 2° a)"),
    Threshold("small_lots_share", Decimal("20"), None, None, "art. R2123-1 2° b)"),
)

# L2152-7 as amended by the loi « Climat et résilience » (2021-1104): consultations launched from this day on.
ENVIRONMENTAL_CRITERION_FROM = date(2026, 8, 21)

GROUP_TOTAL = "Montant estimé total des fournitures homogènes"


class NoThreshold(KeyError):
    """No threshold of that key applies on that date. The message is French."""

    def __str__(self) -> str:
        return str(self.args[0])


def threshold(key: str, launch_date: date) -> Decimal:
    """The value of the threshold ``key`` for a consultation launched on ``launch_date``."""
    for item in THRESHOLDS:
        if item.key == key and item.applies_on(launch_date):
            return item.value
    raise NoThreshold(f"aucun seuil « {key} » connu pour une consultation lancée le {date_fr(launch_date)}")


@dataclass(frozen=True)
class LotValue:
    key: str
    number: int
    title: str
    group: str
    amount_ht: Decimal


@dataclass(frozen=True)
class LotAdvice:
    key: str
    procedure: Procedure
    group_total: Decimal
    small_lot_exception: bool
    decp_due: bool
    environmental_criterion_required: bool
    explanation: tuple[str, ...]


def euros_ht(amount: Decimal) -> str:
    """'248 300 € HT' for a whole amount, '39 999,99 € HT' otherwise (French separators)."""
    decimals = 0 if amount == amount.to_integral_value() else 2
    return f"{number(amount, decimals)}\u00a0€\u00a0HT"


def _sentence_label(procedure: Procedure) -> str:
    label = procedure.label
    return label[0].lower() + label[1:]


def _numbers(lots: Sequence[LotValue]) -> str:
    numbers = [str(lot.number) for lot in sorted(lots, key=lambda lot: lot.number)]
    if len(numbers) == 1:
        return f"lot {numbers[0]}"
    return "lots " + ", ".join(numbers[:-1]) + " et " + numbers[-1]


def _group_procedure(total: Decimal, launch_date: date) -> tuple[Procedure, str]:
    """The procedure the group total calls for, and the sentence that says why."""
    formalised = threshold("formalised", launch_date)
    no_competition = threshold("no_competition", launch_date)
    notice = threshold("notice", launch_date)
    if total >= formalised:
        sign = ">" if total > formalised else "≥"
        procedure, comparison = Procedure.FORMALISED, f"{sign} {euros_ht(formalised)}"
    elif total < no_competition:
        procedure, comparison = Procedure.NO_COMPETITION, f"< {euros_ht(no_competition)}"
    elif total < notice:
        procedure = Procedure.MAPA_FREE
        comparison = f"≥ {euros_ht(no_competition)} et < {euros_ht(notice)}"
    else:
        procedure = Procedure.MAPA_NOTICE
        comparison = f"≥ {euros_ht(notice)} et < {euros_ht(formalised)}"
    return procedure, f"{GROUP_TOTAL} : {euros_ht(total)} {comparison} : {_sentence_label(procedure)}."


def small_lots(lots: Sequence[LotValue], group_total: Decimal, launch_date: date) -> list[LotValue]:
    """The lots of ONE group that may use the petits lots exception (R2123-1 2°).

    Lots under the small-lot limit, smallest first (ties: lot number), while their cumulated amount
    stays within the share of the group total. Does not check the formalised threshold.
    """
    limit = threshold("small_lot", launch_date)
    share = threshold("small_lots_share", launch_date)
    chosen: list[LotValue] = []
    cumulated = Decimal(0)
    for lot in sorted((lot for lot in lots if lot.amount_ht < limit), key=lambda lot: (lot.amount_ht, lot.number)):
        if (cumulated + lot.amount_ht) * 100 > share * group_total:
            break  # the next ones are at least as large: none fits any more
        cumulated += lot.amount_ht
        chosen.append(lot)
    return chosen


def advise(lots: Sequence[LotValue], launch_date: date) -> dict[str, LotAdvice]:
    """The advice for each lot, keyed by ``LotValue.key``, in the order of ``lots``.

    Raises LotRuleError (French message) on a negative amount or a repeated key, and NoThreshold
    when the launch date is before the thresholds the module knows.
    """
    keys = [lot.key for lot in lots]
    if len(set(keys)) != len(keys):
        raise LotRuleError("chaque lot doit avoir un identifiant distinct")
    for lot in lots:
        if lot.amount_ht < 0:
            raise LotRuleError(f"lot {lot.number} : le montant estimé ne peut pas être négatif")

    groups: dict[str, list[LotValue]] = {}
    for lot in lots:
        groups.setdefault(lot.group, []).append(lot)

    decp = threshold("decp", launch_date)
    small_limit = threshold("small_lot", launch_date)
    share = threshold("small_lots_share", launch_date)
    no_competition = threshold("no_competition", launch_date)
    environmental = launch_date >= ENVIRONMENTAL_CRITERION_FROM

    advice: dict[str, LotAdvice] = {}
    for group, members in groups.items():
        total = sum((lot.amount_ht for lot in members), Decimal(0))
        group_procedure, group_sentence = _group_procedure(total, launch_date)
        composition = (
            f"Fournitures homogènes « {group} » : {_numbers(members)}, additionnés pour tous les membres "
            "et sur toute la durée (art. R2121-1 et R2121-6 à R2121-8)."
        )
        chosen: list[LotValue] = []
        if group_procedure is Procedure.FORMALISED:
            chosen = small_lots(members, total, launch_date)
        chosen_keys = {lot.key for lot in chosen}
        chosen_total = sum((lot.amount_ht for lot in chosen), Decimal(0))
        cap = total * share / 100

        for lot in members:
            sentences = [group_sentence, composition]
            procedure = group_procedure
            exception = lot.key in chosen_keys
            if exception:
                procedure = Procedure.MAPA_FREE
                if lot.amount_ht < no_competition:
                    procedure = Procedure.NO_COMPETITION
                sentences.append(
                    f"Exception des petits lots (art. R2123-1 2°) : ce lot ({euros_ht(lot.amount_ht)} < "
                    f"{euros_ht(small_limit)}) fait partie des petits lots retenus, qui totalisent "
                    f"{euros_ht(chosen_total)} ≤ {percent(share)} du total ({euros_ht(cap)}) : "
                    f"{_sentence_label(procedure)}."
                )
            elif group_procedure is Procedure.FORMALISED and lot.amount_ht < small_limit:
                sentences.append(
                    f"Ce lot ({euros_ht(lot.amount_ht)} < {euros_ht(small_limit)}) ne peut pas s'ajouter aux "
                    f"petits lots (art. R2123-1 2°) : leur total dépasserait {percent(share)} du total "
                    f"({euros_ht(cap)})."
                )
            decp_due = lot.amount_ht >= decp
            if decp_due:
                sentences.append(
                    f"Montant du lot : {euros_ht(lot.amount_ht)} ≥ {euros_ht(decp)} : données essentielles "
                    "(DECP) à publier dans les 2 mois suivant la notification (art. R2196-1)."
                )
            else:
                sentences.append(
                    f"Montant du lot : {euros_ht(lot.amount_ht)} < {euros_ht(decp)} : "
                    "pas de publication des données essentielles (DECP) obligatoire."
                )
            if environmental:
                sentences.append(
                    f"Consultation lancée à partir du {date_fr(ENVIRONMENTAL_CRITERION_FROM)} : au moins un "
                    "critère d'attribution doit porter sur les caractéristiques environnementales (art. L2152-7)."
                )
            advice[lot.key] = LotAdvice(
                key=lot.key,
                procedure=procedure,
                group_total=total,
                small_lot_exception=exception,
                decp_due=decp_due,
                environmental_criterion_required=environmental,
                explanation=tuple(sentences),
            )
    return {key: advice[key] for key in keys}
