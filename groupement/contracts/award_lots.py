"""The lot an award decides, as both the award and the rejection letters see it: scoped, decidable,
its overview, the offer chosen with its checks, and the names the letters and DECP give it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from groupement.campaigns import scope as campaign_scope
from groupement.contracts.models import Award
from groupement.core.access import Actor, Role
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.extensions import db
from groupement.lots.models import Lot
from groupement.lots.procedures import Procedure
from groupement.lots.queries import LotView, overview_of
from groupement.lots.rules import LotStatus
from groupement.tenders.models import Offer, OfferLine
from groupement.tenders.offer_queries import LotAnalysis, analysis

DECP_PROCEDURES = {
    Procedure.FORMALISED: "Appel d'offres ouvert",
    Procedure.MAPA_NOTICE: "Procédure adaptée",
    Procedure.MAPA_FREE: "Procédure adaptée",
    Procedure.NO_COMPETITION: "Marché passé sans publicité ni mise en concurrence préalable",
}


def decp_procedure(view: LotView) -> str:
    """The procedure as DECP names it, from the procedure advised for the lot."""
    if view.advice is None:
        return DECP_PROCEDURES[Procedure.MAPA_NOTICE]
    return DECP_PROCEDURES[view.advice.procedure]


def scoped_lot(actor: Actor, lot_id: int) -> Lot:
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("Lot introuvable.")
    campaign_scope.get_campaign(actor, lot.campaign_id)
    return lot


def decidable_lot(actor: Actor, lot_id: int) -> Lot:
    if actor.role is not Role.COORDINATOR:
        raise Forbidden("Seul le coordonnateur attribue un lot.")
    lot = scoped_lot(actor, lot_id)
    if lot.status is LotStatus.DRAFT:
        raise ServiceError(f"Le lot n° {lot.number} est en préparation : publiez-le avant de l'attribuer.")
    if lot.status is not LotStatus.PUBLISHED or db.session.scalar(
        select(func.count()).select_from(Award).where(Award.lot_id == lot.id)
    ):
        raise ServiceError(f"Le lot n° {lot.number} est déjà {lot.status.label} : la décision est prise.")
    return lot


def lot_view(lot: Lot) -> LotView:
    overview = overview_of(lot.campaign)
    return next(view for view in overview.lots if view.lot.id == lot.id)


def chosen_offer(actor: Actor, lot: Lot, offer_id: int, justification: str) -> tuple[Offer, LotAnalysis, int, str]:
    """The offer to retain, checked: of the lot, the scoring complete, a justification when it is
    not the best ranked. Returns the offer, the analysis, the best ranked offer id, the justification."""
    offer = db.session.scalar(
        select(Offer)
        .where(Offer.id == offer_id, Offer.lot_id == lot.id)
        .options(selectinload(Offer.lines).selectinload(OfferLine.lot_line), selectinload(Offer.supplier))
    )
    if offer is None:
        raise ServiceError("Choisissez une offre de ce lot.")
    justification = (justification or "").strip()
    report = analysis(actor, lot.id)
    if report.criteria is None:
        raise ServiceError(
            "Les critères d'attribution du lot ne sont pas fixés : fixez-les et notez les offres avant d'attribuer."
        )
    incomplete = [row for row in report.ranking if not row.complete]
    if incomplete:
        names = ", ".join(offer_name(row.supplier_name, row.is_variant) for row in incomplete)
        raise ServiceError(
            f"La notation n'est pas terminée ({names}) : saisissez les notes technique et environnementale "
            "de toutes les offres avant d'attribuer le lot."
        )
    best = report.ranking[0].offer_id
    if offer.id != best and not justification:
        raise ServiceError("Cette offre n'est pas la mieux classée : la justification du choix est obligatoire.")
    return offer, report, best, justification


def offer_name(supplier_name: str, is_variant: bool) -> str:
    return f"{supplier_name} (variante)" if is_variant else supplier_name


def lot_label(lot: Lot) -> str:
    return f"lot n°\u00a0{lot.number} : {lot.title}"
