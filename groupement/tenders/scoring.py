"""Analyse des offres : la notation, le classement et la détection des offres anormalement basses.

Fonctions pures (ni base de données ni Flask). La méthode ci-dessous est aussi affichée sur le
rapport d'analyse des offres (`method_text`), pour que l'acheteur puisse la vérifier et la citer.

Méthode de notation
- Les critères et leurs poids sont ceux du règlement de la consultation ; les poids totalisent
  100. Le prix (ou le coût) figure toujours parmi les critères (art. R2152-7). Pour une
  consultation lancée à partir du 21/08/2026, un critère au moins porte sur les caractéristiques
  environnementales (art. L2152-7) : son poids ne peut pas être nul.
- Chaque critère est noté en points, sur son poids : si le prix pèse 60 %, la note prix est sur 60.
- Note prix = poids du prix × total DQE le plus bas / total DQE de l'offre. Les totaux DQE sont
  recalculés par l'application à partir des prix unitaires et des quantités estimées ; la note
  suit ainsi les écarts réels entre les offres (100 000 €, 120 000 € et 150 000 € pour un prix
  pesant 60 : 60,00, 50,00 et 40,00 points).
- Notes technique et environnementale : attribuées par l'acheteur, de 0 au poids du critère, avec
  une justification écrite.
- Total pondéré = note prix + note technique + note environnementale, sur 100.
- Toutes les notes sont arrondies au centième, la demie au centième supérieur (0,005 → 0,01).
- Classement : total pondéré décroissant. À égalité : le total DQE le plus bas, puis la meilleure
  note technique, puis la meilleure note environnementale, puis l'ordre alphabétique du
  fournisseur, enfin l'ordre d'enregistrement des offres. Deux offres n'ont jamais le même rang.

Offre anormalement basse (art. L2152-5 et L2152-6)
- Une offre est signalée lorsque son total DQE est inférieur à un pourcentage (70 % par défaut,
  fixé par lot) de la moyenne des totaux DQE des autres offres du lot ; quand le lot n'a reçu
  qu'une offre, la référence est l'estimation de l'acheteur.
- Le signalement appelle des précisions et justifications du candidat ; il n'entraîne jamais le
  rejet automatique de l'offre.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from groupement.core.errors import ServiceError
from groupement.core.money import has_at_most, round_half_up
from groupement.lots.procedures import ENVIRONMENTAL_CRITERION_FROM

POINTS = Decimal("0.01")
TOTAL_WEIGHT = Decimal(100)
DEFAULT_ABNORMALLY_LOW_PERCENT = Decimal(70)


class ScoringError(ServiceError):
    """Figures the scoring method cannot rank; the message is French."""


def to_points(value: Decimal) -> Decimal:
    """A score to the hundredth of a point, half up (commercial rounding)."""
    return round_half_up(value, POINTS)


@dataclass(frozen=True)
class Criteria:
    """The weights of a lot (per cent, each criterion scored in points out of its weight)."""

    price: Decimal
    technical: Decimal
    environmental: Decimal
    abnormally_low_percent: Decimal = DEFAULT_ABNORMALLY_LOW_PERCENT


def environmental_criterion_required(launch_date: date) -> bool:
    return launch_date >= ENVIRONMENTAL_CRITERION_FROM


def criteria_problems(criteria: Criteria, launch_date: date) -> list[str]:
    """Why these weights cannot be published for a consultation launched on launch_date (French)."""
    problems = []
    weights = (
        ("du prix", criteria.price),
        ("de la valeur technique", criteria.technical),
        ("du critère environnemental", criteria.environmental),
    )
    for name, weight in weights:
        if weight < 0 or weight > TOTAL_WEIGHT:
            problems.append(f"Le poids {name} doit être compris entre 0 et 100.")
        elif not has_at_most(weight, POINTS):
            problems.append(f"Le poids {name} a deux décimales au plus.")
    total = criteria.price + criteria.technical + criteria.environmental
    if total != TOTAL_WEIGHT:
        problems.append(f"Les poids des critères doivent totaliser 100 (total actuel : {_french(total)}).")
    if criteria.price <= 0:
        problems.append(
            "Le prix figure toujours parmi les critères d'attribution (art. R2152-7) : donnez-lui un poids."
        )
    if criteria.environmental <= 0 and environmental_criterion_required(launch_date):
        problems.append(
            "Pour une consultation lancée à partir du 21/08/2026, au moins un critère d'attribution porte sur "
            "les caractéristiques environnementales (art. L2152-7 du code de la commande publique) : "
            "donnez un poids au critère environnemental."
        )
    if not 0 < criteria.abnormally_low_percent < 100:
        problems.append("Le seuil d'offre anormalement basse est un pourcentage strictement compris entre 0 et 100.")
    return problems


def price_score(weight: Decimal, lowest_total: Decimal, offer_total: Decimal) -> Decimal:
    """weight × lowest / offer, in points; an offer at zero is the lowest and gets the full weight."""
    if offer_total < 0 or lowest_total < 0 or lowest_total > offer_total:
        raise ScoringError("les totaux sont positifs et le plus bas ne dépasse pas celui de l'offre")
    if offer_total == 0:
        return to_points(weight)
    return to_points(weight * lowest_total / offer_total)


def is_abnormally_low(
    total: Decimal, other_totals: Sequence[Decimal], estimate: Decimal | None, percent: Decimal
) -> bool:
    """Under percent % of the mean of the other offers' totals, or of the estimate when alone."""
    if other_totals:
        reference = sum(other_totals, Decimal(0)) / len(other_totals)
    elif estimate is not None:
        reference = estimate
    else:
        return False
    return total < reference * percent / 100


def score_problem(name: str, score: Decimal | None, weight: Decimal, justification: str) -> str | None:
    """Why an officer's score of a criterion is refused (French), or None when it is acceptable."""
    if weight <= 0:
        return None if score in (None, Decimal(0)) else f"Le critère « {name} » ne compte pas pour ce lot (poids nul)."
    if score is None:
        return f"Note « {name} » manquante."
    if score < 0 or score > weight:
        return f"La note « {name} » est comprise entre 0 et {_french(weight)} points (le poids du critère)."
    if not has_at_most(score, POINTS):
        return f"La note « {name} » a deux décimales au plus."
    if not justification.strip():
        return f"Justifiez par écrit la note « {name} »."
    return None


@dataclass(frozen=True)
class Candidate:
    key: int  # the offer's id: the last tie-break, the order in which offers were recorded
    name: str
    total: Decimal  # the DQE total HT, recomputed
    technical: Decimal | None = None
    environmental: Decimal | None = None


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    price_score: Decimal | None
    technical_score: Decimal | None
    environmental_score: Decimal | None
    weighted_total: Decimal | None
    rank: int
    abnormally_low: bool
    complete: bool  # every criterion with a weight has its score


def rank(candidates: Sequence[Candidate], criteria: Criteria | None, estimate: Decimal | None = None) -> list[Scored]:
    """The candidates scored and ranked, best first (ranks 1..n, ties broken as documented above).

    Without criteria, nothing is scored: the candidates come by DQE total, lowest first.
    """
    if not candidates:
        return []
    lowest = min(c.total for c in candidates)
    percent = criteria.abnormally_low_percent if criteria else DEFAULT_ABNORMALLY_LOW_PERCENT
    rows = []
    for candidate in candidates:
        others = [c.total for c in candidates if c is not candidate]
        low = is_abnormally_low(candidate.total, others, estimate, percent)
        if criteria is None:
            rows.append((candidate, None, None, None, None, low, False))
            continue
        price = price_score(criteria.price, lowest, candidate.total)
        technical = _entered(candidate.technical, criteria.technical)
        environmental = _entered(candidate.environmental, criteria.environmental)
        complete = all(
            score is not None
            for score, weight in ((technical, criteria.technical), (environmental, criteria.environmental))
            if weight > 0
        )
        total = to_points(price + (technical or 0) + (environmental or 0))
        rows.append((candidate, price, technical, environmental, total, low, complete))

    def order(row) -> tuple:
        candidate, _, technical, environmental, total, _, _ = row
        return (
            -(total or 0),
            candidate.total,
            -(technical or 0),
            -(environmental or 0),
            candidate.name.casefold(),
            candidate.key,
        )

    return [Scored(*row[:5], position, *row[5:]) for position, row in enumerate(sorted(rows, key=order), start=1)]


def method_text(percent: Decimal = DEFAULT_ABNORMALLY_LOW_PERCENT) -> list[str]:
    """The method in sentences, for the analysis report (page and spreadsheet)."""
    threshold = _french(percent)
    return [
        "Chaque critère est noté en points sur son poids ; le total pondéré est sur 100.",
        "Note prix = poids du prix × total DQE le plus bas ÷ total DQE de l'offre ; les totaux DQE sont recalculés "
        "à partir des prix unitaires et des quantités estimées.",
        "Notes technique et environnementale : attribuées par l'acheteur, de 0 au poids du critère, "
        "avec une justification écrite.",
        "Notes arrondies au centième, la demie au centième supérieur.",
        "À total pondéré égal : le total DQE le plus bas, puis la meilleure note technique, puis la meilleure note "
        "environnementale, puis l'ordre alphabétique du fournisseur, enfin l'ordre d'enregistrement.",
        f"Offre anormalement basse : total DQE inférieur à {threshold} % de la moyenne des autres offres (de "
        "l'estimation de l'acheteur si l'offre est seule). Elle est signalée pour demander des précisions au "
        "candidat (art. L2152-5 et L2152-6), jamais écartée automatiquement.",
    ]


def _entered(score: Decimal | None, weight: Decimal) -> Decimal | None:
    if weight <= 0 or score is None:
        return None
    return to_points(score)


def _french(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return text.replace(".", ",")
