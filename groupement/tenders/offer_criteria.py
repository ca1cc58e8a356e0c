"""The award criteria of a lot (weights, abnormally-low threshold) and the officer's scores of its offers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from groupement.core import audit
from groupement.core.access import Actor
from groupement.core.errors import NotFound, ServiceError
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.lots.rules import LotStatus
from groupement.tenders import offer_lots
from groupement.tenders.models import AwardCriteria, Offer
from groupement.tenders.scoring import Criteria, criteria_problems, score_problem

# --- criteria and scores ------------------------------------------------------------------------


def set_criteria(
    actor: Actor,
    lot_id: int,
    price: Decimal,
    technical: Decimal,
    environmental: Decimal,
    abnormally_low_percent: Decimal = Decimal(70),
    today: date | None = None,
) -> AwardCriteria:
    """The weights of the consultation rules (sum 100; an environmental weight for consultations
    launched from 21/08/2026, art. L2152-7) and the abnormally-low threshold of the lot."""
    lot = offer_lots.writable_lot(actor, lot_id)
    if lot.status not in (LotStatus.DRAFT, LotStatus.PUBLISHED):
        raise ServiceError(offer_lots.refusal(lot))
    wanted = Criteria(price, technical, environmental, abnormally_low_percent)
    problems = criteria_problems(wanted, lot.launch_date or today or paris_today())
    if problems:
        raise ServiceError(" ".join(problems))
    criteria = offer_lots.criteria_of(lot.id)
    before = _criteria_summary(criteria) if criteria else None
    weights = (price, technical, environmental)
    if criteria is not None and weights != (
        criteria.price_weight,
        criteria.technical_weight,
        criteria.environmental_weight,
    ):
        scored = db.session.scalar(
            select(Offer.id).where(
                Offer.lot_id == lot.id,
                (Offer.technical_score.is_not(None)) | (Offer.environmental_score.is_not(None)),
            )
        )
        if scored is not None:
            raise ServiceError(
                "Des offres sont déjà notées : les poids des critères ne changent plus (ils sont ceux du règlement "
                "de la consultation). Seul le seuil d'offre anormalement basse peut encore être modifié."
            )
    if criteria is None:
        criteria = AwardCriteria(lot_id=lot.id)
        db.session.add(criteria)
    criteria.price_weight, criteria.technical_weight, criteria.environmental_weight = weights
    criteria.abnormally_low_percent = abnormally_low_percent
    db.session.flush()
    audit.record(actor.user_id, "criteria.set", "lot", lot.id, before=before, after=_criteria_summary(criteria))
    return criteria


def _criteria_summary(criteria: AwardCriteria) -> dict:
    return {
        "price": criteria.price_weight,
        "technical": criteria.technical_weight,
        "environmental": criteria.environmental_weight,
        "abnormally_low_percent": criteria.abnormally_low_percent,
    }


def score_offer(
    actor: Actor,
    offer_id: int,
    technical: Decimal | None,
    technical_justification: str,
    environmental: Decimal | None,
    environmental_justification: str,
) -> Offer:
    """The officer's technical and environmental scores, in points out of each criterion's weight,
    each with its written justification."""
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        raise NotFound("Offre introuvable.")
    lot = offer_lots.writable_lot(actor, offer.lot_id)
    offer_lots.ensure_accepts_offers(lot)
    criteria = offer_lots.criteria_of(lot.id)
    if criteria is None:
        raise ServiceError("Fixez d'abord les critères d'attribution du lot et leurs poids.")
    technical_justification = (technical_justification or "").strip()
    environmental_justification = (environmental_justification or "").strip()
    problems = [
        score_problem("valeur technique", technical, criteria.technical_weight, technical_justification),
        score_problem("environnement", environmental, criteria.environmental_weight, environmental_justification),
    ]
    problems = [problem for problem in problems if problem]
    if problems:
        raise ServiceError(" ".join(problems))
    before = {
        "technical_score": offer.technical_score,
        "technical_justification": offer.technical_justification,
        "environmental_score": offer.environmental_score,
        "environmental_justification": offer.environmental_justification,
    }
    if criteria.technical_weight > 0:
        offer.technical_score, offer.technical_justification = technical, technical_justification
    else:
        offer.technical_score, offer.technical_justification = None, ""
    if criteria.environmental_weight > 0:
        offer.environmental_score, offer.environmental_justification = environmental, environmental_justification
    else:
        offer.environmental_score, offer.environmental_justification = None, ""
    after = {
        "technical_score": offer.technical_score,
        "technical_justification": offer.technical_justification,
        "environmental_score": offer.environmental_score,
        "environmental_justification": offer.environmental_justification,
    }
    audit.record(actor.user_id, "offer.score", "offer", offer.id, before=before, after=after)
    return offer
