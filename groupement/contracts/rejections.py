"""The rejection letters and the standstill (tenders/standstill.py), and the notification letter.

Before the award, the coordinator records the sending of the rejection letters, naming the offer to
be retained (the same checks as the award); the letters are produced then, dated that day, and
archived. For a formal procedure with more than one offer the award waits for that record and for
the end of the period (check_standstill, called by awards.award_lot). The notification letter to
the winner is produced and archived once the contract exists."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from groupement.contracts import scope as contract_scope
from groupement.contracts.award_lots import (
    chosen_offer,
    decidable_lot,
    decp_procedure,
    lot_label,
    lot_view,
    offer_name,
    scoped_lot,
)
from groupement.contracts.models import Contract, RejectionSending
from groupement.core import audit, transaction
from groupement.core.access import COORDINATOR_SIDE_ROLES, Actor, Role
from groupement.core.archive import ArchivedDocument, archive, archived_documents, serialise_first_archiving
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.french import a as a_name
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.lots.models import Lot
from groupement.lots.procedures import Procedure
from groupement.lots.queries import LotView
from groupement.tenders import letters as award_letters
from groupement.tenders import standstill as standstill_rules
from groupement.tenders.models import Offer
from groupement.tenders.offer_queries import RankedOffer, analysis

REJECTION_KIND = "lettre_de_rejet"
NOTIFICATION_KIND = "lettre_de_notification"


def record_rejections_sent(
    actor: Actor,
    lot_id: int,
    offer_id: int,
    justification: str = "",
    sent_on: date | None = None,
    *,
    electronic: bool = True,
) -> RejectionSending:
    """The rejection letters sent on that day, naming the offer to be retained: the letters are
    produced and archived, and the standstill period starts (when the procedure requires one)."""
    lot = decidable_lot(actor, lot_id)
    offer, report, best, justification = chosen_offer(actor, lot, offer_id, justification)
    if sent_on is None:
        raise ServiceError("La date d'envoi des lettres de rejet est obligatoire.")
    if sent_on > paris_today():
        raise ServiceError(
            f"La date d'envoi des lettres de rejet ({sent_on:%d/%m/%Y}) est dans le futur : "
            "enregistrez l'envoi le jour où les lettres partent."
        )
    if db.session.scalar(select(func.count()).select_from(RejectionSending).where(RejectionSending.lot_id == lot.id)):
        raise ServiceError(f"L'envoi des lettres de rejet du lot n° {lot.number} est déjà enregistré.")
    if len(report.ranking) < 2:
        raise ServiceError("Le lot n'a reçu qu'une offre : il n'y a aucun candidat à informer d'un rejet.")
    view = lot_view(lot)
    period = standstill_rules.standstill(sent_on, electronic=electronic)
    required = standstill_required(view, len(report.ranking))
    sending = RejectionSending(
        lot_id=lot.id,
        offer_id=offer.id,
        justification=justification,
        sent_on=sent_on,
        electronic=electronic,
        standstill_required=required,
        standstill_days=period.days if required else 0,
        standstill_last_day=period.last_day if required else None,
        recorded_by_id=actor.user_id,
    )
    try:  # a double-click on PostgreSQL: both requests passed the check above, one meets the constraint
        with transaction.savepoint():
            db.session.add(sending)
    except IntegrityError as error:
        raise ServiceError(f"L'envoi des lettres de rejet du lot n° {lot.number} est déjà enregistré.") from error
    audit.record(
        actor.user_id,
        "award.rejections_sent",
        "lot",
        lot.id,
        after={
            "offer": offer.id,
            "supplier": offer.supplier.name,
            "best_ranked_offer": best,
            "justification": justification,
            "sent_on": sent_on,
            "electronic": electronic,
            "standstill_days": sending.standstill_days,
            "standstill_last_day": sending.standstill_last_day,
        },
    )
    winner = next(row for row in report.ranking if row.offer_id == offer.id)
    for row in report.ranking:
        if row.offer_id == offer.id:
            continue
        letter = _rejection_letter(lot, view, report, sending, row, winner, period if required else None)
        archive(
            actor_id=actor.user_id,
            coordinator_id=lot.campaign.groupement.coordinator_id,
            object_type="lot",
            object_id=lot.id,
            kind=REJECTION_KIND,
            title=f"Lettre de rejet : {offer_name(row.supplier_name, row.is_variant)}",
            file_name=f"rejet-lot-{lot.number:02d}-offre-{row.offer_id}.pdf",
            content=award_letters.rejection_pdf(letter),
        )
    return sending


def standstill_required(view: LotView, offers_received: int) -> bool:
    formal = view.advice is not None and view.advice.procedure is Procedure.FORMALISED
    return standstill_rules.required(formal_procedure=formal, offers_received=offers_received)


def standstill_of(sending: RejectionSending | None) -> standstill_rules.Standstill | None:
    """The period the recorded sending started, or None when none is required."""
    if sending is None or not sending.standstill_required:
        return None
    return standstill_rules.standstill(sending.sent_on, electronic=sending.electronic)


def rejection_sending(lot: Lot) -> RejectionSending | None:
    return db.session.scalar(select(RejectionSending).where(RejectionSending.lot_id == lot.id))


def award_documents(actor: Actor, lot_id: int) -> list[ArchivedDocument]:
    """The archived letters of a lot the actor may see (coordinator side), newest first."""
    lot = scoped_lot(actor, lot_id)
    return archived_documents(lot.campaign.groupement.coordinator_id, "lot", lot.id)


def award_document(actor: Actor, lot_id: int, document_id: int) -> ArchivedDocument:
    if actor.role not in COORDINATOR_SIDE_ROLES:
        raise Forbidden("Les lettres d'attribution sont tenues par le coordonnateur.")
    document = next((doc for doc in award_documents(actor, lot_id) if doc.id == document_id), None)
    if document is None:
        raise NotFound("Document introuvable.")
    return document


def notification_letter(actor: Actor, lot_id: int) -> ArchivedDocument:
    """The notification letter of the lot's contract: produced and archived the first time."""
    if actor.role not in COORDINATOR_SIDE_ROLES:
        raise Forbidden("Les lettres d'attribution sont tenues par le coordonnateur.")
    lot = scoped_lot(actor, lot_id)
    contract = db.session.scalar(contract_scope.contracts(actor).where(Contract.lot_id == lot.id))
    if contract is None:
        raise NotFound("Le lot n'est pas attribué : aucune lettre de notification.")
    serialise_first_archiving("lot", lot.id, NOTIFICATION_KIND)
    existing = [doc for doc in award_documents(actor, lot.id) if doc.kind == NOTIFICATION_KIND]
    if existing:
        return existing[0]
    if actor.role is not Role.COORDINATOR:
        raise NotFound("La lettre de notification n'a pas encore été éditée par le coordonnateur.")
    report = analysis(actor, lot.id)
    ranked = next((row for row in report.ranking if row.offer_id == contract.award.offer_id), None)
    winner = (
        _scores(ranked)
        if ranked
        else award_letters.Scores(contract.supplier.name, 1, contract.award.offer.total_ht, None, None, None, None)
    )
    sending = rejection_sending(lot)
    period = standstill_of(sending)
    coordinator = lot.campaign.groupement.coordinator
    letter = award_letters.NotificationLetter(
        letterhead=award_letters.letterhead_of(coordinator),
        reference=f"Accord-cadre n° {contract.number}",
        notified_on=contract.notified_on,
        groupement_name=lot.campaign.groupement.name,
        lot_label=lot_label(lot),
        procedure=contract.procedure,
        addressee=_addressee(contract.supplier),
        winner=winner,
        contract_number=contract.number,
        maximum_amount=contract.maximum_amount,
        duration_months=contract.duration_months,
        start_date=contract.start_date,
        standstill_last_day=period.last_day if period else None,
    )
    return archive(
        actor_id=actor.user_id,
        coordinator_id=coordinator.id,
        object_type="lot",
        object_id=lot.id,
        kind=NOTIFICATION_KIND,
        title=f"Lettre de notification : {contract.supplier.name}",
        file_name=f"notification-{contract.number}.pdf",
        content=award_letters.notification_pdf(letter),
    )


def check_standstill(lot: Lot, offer: Offer, notified_on: date) -> None:
    sending = rejection_sending(lot)
    offers_received = db.session.scalar(select(func.count()).select_from(Offer).where(Offer.lot_id == lot.id))
    if sending is None:
        if standstill_required(lot_view(lot), offers_received):
            raise ServiceError(
                "Procédure formalisée : enregistrez d'abord l'envoi des lettres de rejet aux candidats non "
                "retenus ; leur date fait courir le délai de suspension avant la notification (art. R2182-1)."
            )
        return
    if sending.offer_id != offer.id:
        raise ServiceError(
            f"Les lettres de rejet envoyées le {sending.sent_on:%d/%m/%Y} annoncent l'attribution "
            f"{a_name(sending.offer.supplier.name)} : c'est cette offre qui est attribuée."
        )
    if notified_on < sending.sent_on:
        raise ServiceError(
            f"La notification ne peut pas précéder l'envoi des lettres de rejet ({sending.sent_on:%d/%m/%Y})."
        )
    period = standstill_of(sending)
    if period is not None and (refusal := period.refusal(notified_on)):
        raise ServiceError(refusal)


def _rejection_letter(lot, view, report, sending, row, winner, period) -> award_letters.RejectionLetter:
    criteria = report.criteria
    weights = (criteria.price_weight, criteria.technical_weight, criteria.environmental_weight) if criteria else None
    offer = db.session.get(Offer, row.offer_id)
    bidder, retained = _scores(row), _scores(winner)
    return award_letters.RejectionLetter(
        letterhead=award_letters.letterhead_of(lot.campaign.groupement.coordinator),
        reference=f"Lot n° {lot.number} · offre {row.offer_id}",
        sent_on=sending.sent_on,
        groupement_name=lot.campaign.groupement.name,
        lot_label=lot_label(lot),
        procedure=decp_procedure(view),
        addressee=_addressee(offer.supplier),
        bidder=bidder,
        winner=retained,
        offers_received=len(report.ranking),
        weights=weights,
        reasons=award_letters.rejection_reasons(bidder, retained, weights),
        standstill_days=period.days if period else None,
        standstill_last_day=period.last_day if period else None,
        first_signing_day=period.first_signing_day if period else None,
        electronic=sending.electronic,
    )


def _scores(row: RankedOffer) -> award_letters.Scores:
    return award_letters.Scores(
        supplier_name=offer_name(row.supplier_name, row.is_variant),
        rank=row.rank,
        total_ht=row.total_ht,
        price_score=row.price_score,
        technical_score=row.technical_score,
        environmental_score=row.environmental_score,
        weighted_total=row.weighted_total,
        technical_justification=row.technical_justification,
        environmental_justification=row.environmental_justification,
    )


def _addressee(supplier) -> award_letters.Addressee:
    city = " ".join(part for part in (supplier.postcode, supplier.city) if part)
    return award_letters.Addressee(
        supplier.name, tuple(line for line in (supplier.address, city) if line), supplier.siret or ""
    )
