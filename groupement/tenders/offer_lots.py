"""The lot behind offers, criteria and scores: who reads and writes it, its counted lines, estimate and criteria."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from groupement.campaigns import scope as campaign_scope
from groupement.core.access import COMMUNE_ROLES, Actor, Role
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.extensions import db
from groupement.lots.models import Lot, LotLine
from groupement.lots.queries import line_amount
from groupement.lots.rules import LotStatus
from groupement.tenders import scope as supplier_scope
from groupement.tenders.models import AwardCriteria, Supplier

# --- helpers ------------------------------------------------------------------------------------


def readable_lot(actor: Actor, lot_id: int) -> Lot:
    if actor.role in COMMUNE_ROLES:
        raise Forbidden("Les offres sont reçues et analysées par le coordonnateur.")
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("Lot introuvable.")
    campaign_scope.get_campaign(actor, lot.campaign_id)
    return lot


def writable_lot(actor: Actor, lot_id: int) -> Lot:
    if actor.role is not Role.COORDINATOR:
        raise Forbidden("Seul le coordonnateur enregistre et note les offres.")
    return readable_lot(actor, lot_id)


def ensure_accepts_offers(lot: Lot) -> None:
    if lot.status is not LotStatus.PUBLISHED:
        raise ServiceError(refusal(lot))


def refusal(lot: Lot) -> str:
    if lot.status is LotStatus.DRAFT:
        return f"Le lot n° {lot.number} est en préparation : publiez-le avant d'enregistrer des offres."
    return f"Le lot n° {lot.number} est {lot.status.label} : ses offres et leurs notes ne changent plus."


def supplier(actor: Actor, supplier_id: int | None) -> Supplier:
    """One of the actor's coordinator's suppliers (another coordinator's is as good as absent)."""
    try:
        return supplier_scope.get_supplier(actor, supplier_id)
    except NotFound:
        raise ServiceError("Choisissez le fournisseur qui a remis l'offre.") from None


def counted(lot: Lot) -> list[LotLine]:
    return [line for line in lot.lines if not line.excluded_reason]


def estimate(lines: list[LotLine]) -> Decimal:
    return sum((line_amount(line) for line in lines), Decimal(0))


def criteria_of(lot_id: int) -> AwardCriteria | None:
    return db.session.scalar(select(AwardCriteria).where(AwardCriteria.lot_id == lot_id))
