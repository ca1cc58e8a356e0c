"""Award of a published lot: to an offer (creating the framework contract), or unsuccessful.

Rules (decided here, shown on the award page):

- Only the coordinator decides; the lot must be published (not draft, not already decided).
- "Best ranked" is tenders.offer_queries.analysis(actor, lot_id).ranking[0]. Choosing another offer
  requires a written justification (kept on the Award, and in the audit trail).
- Incomplete scoring BLOCKS the award: while the lot has no award criteria, or any offer lacks
  a score of a weighted criterion (RankedOffer.complete is False), the ranking is not final, so
  neither "best ranked" nor the need for a justification can be known. Fix the criteria and
  score every offer first (the analysis report must rate them all anyway).
- The chosen offer must price every retained line of the lot (its lines become the contract's
  prices: an unpriced line could never be ordered).
- Vehicles: the shares of EU and French origin (DECP "origineUE" / "origineFrance", in %) are
  required, 0 to 100, the French share at most the EU share (France is in the EU). Other
  families do not record them.
- Contract number (also the DECP id, at most 16 characters, letters, digits, - and _): by
  default "<year of the needs>-<campaign id>-L<lot number on 2 digits>", e.g. "2027-12-L03":
  stable (a published lot keeps its number) and unique (one contract per lot, one campaign id).
- Price type (DECP typesPrix): chosen at award, ferme by default, editable on the contract page.
- Maximum = the lot's frozen maximum; duration = the lot's; procedure = the DECP wording of the
  procedure advised for the lot; offers received = every offer of the lot, variants included.
- Standstill (tenders/standstill.py): before the award, the coordinator records the sending of the
  rejection letters, naming the offer to be retained (the same checks as the award); the letters
  are produced then, dated that day, and archived. For a formal procedure with more than one
  offer the award then waits: it requires that record, retains the offer the letters named, and
  refuses a notification date before the end of the period, naming it. Without a standstill
  (MAPA, no competition, a single offer) the record is optional.
- The notification letter to the winner is produced (and archived) once the contract exists.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from groupement.campaigns import scope as campaign_scope
from groupement.contracts import scope as contract_scope
from groupement.contracts.models import Award, Contract, ContractPrice, RejectionSending
from groupement.contracts.rules import AwardDecision, PriceType
from groupement.core import audit, transaction
from groupement.core.access import COORDINATOR_SIDE_ROLES, Actor, Role
from groupement.core.archive import ArchivedDocument, archive, archived_documents
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.french import a as a_name
from groupement.core.french import de
from groupement.core.money import CENT, round_half_up
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.lots.models import Lot
from groupement.lots.procedures import Procedure
from groupement.lots.queries import LotView, overview_of
from groupement.lots.rules import LotStatus
from groupement.organisations.families import Family
from groupement.tenders import letters as award_letters
from groupement.tenders import standstill as standstill_rules
from groupement.tenders.models import Offer, OfferLine
from groupement.tenders.offer_queries import LotAnalysis, RankedOffer, analysis

MAX_NUMBER_LENGTH = 16
NUMBER_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
DECP_PROCEDURES = {
    Procedure.FORMALISED: "Appel d'offres ouvert",
    Procedure.MAPA_NOTICE: "Procédure adaptée",
    Procedure.MAPA_FREE: "Procédure adaptée",
    Procedure.NO_COMPETITION: "Marché passé sans publicité ni mise en concurrence préalable",
}


# --- the decisions ----------------------------------------------------------------------------


def award_lot(
    actor: Actor,
    lot_id: int,
    offer_id: int,
    justification: str = "",
    start_date: date | None = None,
    notified_on: date | None = None,
    number: str | None = None,
    *,
    origin_eu_percent: Decimal | None = None,
    origin_france_percent: Decimal | None = None,
    price_type: PriceType | str = PriceType.FERME,
) -> Contract:
    """Award the lot to the offer and create its framework contract with the offer's prices."""
    lot = _decidable_lot(actor, lot_id)
    offer, report, best, justification = _chosen_offer(actor, lot, offer_id, justification)
    if start_date is None or notified_on is None:
        raise ServiceError("Les dates de notification et de début d'exécution sont obligatoires.")
    if start_date < notified_on:
        raise ServiceError("L'exécution ne peut pas commencer avant la notification du marché.")
    _check_standstill(lot, offer, notified_on)
    origins = _origins(lot.family, origin_eu_percent, origin_france_percent)
    price_type = _price_type(price_type)
    view = lot_view(lot)
    counted = {line.id: line for line in view.counted_lines}
    priced = {line.lot_line_id: line for line in offer.lines if line.lot_line_id in counted}
    unpriced = [line.ref for line_id, line in counted.items() if line_id not in priced]
    if unpriced:
        raise ServiceError(
            f"L'offre {de(offer.supplier.name)} ne chiffre pas toutes les lignes du lot (manquantes : "
            f"{', '.join(unpriced)}) : elle ne peut pas être retenue."
        )
    number = _contract_number(lot, number)
    offers_received = db.session.scalar(select(func.count()).select_from(Offer).where(Offer.lot_id == lot.id))

    award = Award(
        lot_id=lot.id,
        decision=AwardDecision.AWARDED,
        offer_id=offer.id,
        justification=justification,
        decided_by_id=actor.user_id,
    )
    db.session.add(award)
    db.session.flush()
    contract = Contract(
        number=number,
        lot_id=lot.id,
        award_id=award.id,
        supplier_id=offer.supplier_id,
        maximum_amount=lot.maximum_amount if lot.maximum_amount is not None else view.maximum,
        start_date=start_date,
        duration_months=lot.duration_months,
        notified_on=notified_on,
        procedure=decp_procedure(view),
        offers_received=offers_received,
        origin_eu_percent=origins[0],
        origin_france_percent=origins[1],
        price_type=price_type,
    )
    contract.prices = [
        ContractPrice(
            lot_line_id=line_id,
            item_id=counted[line_id].item_id,
            unit_price=priced[line_id].unit_price,
            eco_participation=priced[line_id].eco_participation,
            vat_rate=counted[line_id].vat_rate,
        )
        for line_id in counted
    ]
    db.session.add(contract)
    before = lot.status
    lot.status = LotStatus.AWARDED
    db.session.flush()
    audit.record(
        actor.user_id,
        "award.create",
        "award",
        award.id,
        before={"lot_status": before},
        after={
            "lot": lot.id,
            "lot_status": LotStatus.AWARDED,
            "decision": AwardDecision.AWARDED,
            "offer": offer.id,
            "supplier": offer.supplier.name,
            "best_ranked_offer": best,
            "justification": justification,
        },
    )
    audit.record(
        actor.user_id,
        "contract.create",
        "contract",
        contract.id,
        after={
            "number": contract.number,
            "lot": lot.id,
            "supplier": offer.supplier_id,
            "maximum_amount": contract.maximum_amount,
            "start_date": start_date,
            "duration_months": contract.duration_months,
            "notified_on": notified_on,
            "procedure": contract.procedure,
            "offers_received": offers_received,
            "origin_eu_percent": contract.origin_eu_percent,
            "origin_france_percent": contract.origin_france_percent,
            "price_type": contract.price_type,
            "prices": len(contract.prices),
        },
    )
    return contract


def set_price_type(actor: Actor, contract_id: int, price_type: PriceType | str) -> Contract:
    """The contract's price type (ferme, actualisable, révisable), published in its DECP."""
    contract = editable_contract(actor, contract_id)
    chosen = _price_type(price_type)
    before = contract.price_type
    contract.price_type = chosen
    db.session.flush()
    audit.record(
        actor.user_id,
        "contract.price_type",
        "contract",
        contract.id,
        before={"price_type": before},
        after={"number": contract.number, "price_type": chosen},
    )
    return contract


def editable_contract(actor: Actor, contract_id: int) -> Contract:
    """A contract of the coordinator's scope whose data it records, or NotFound."""
    if actor.role is not Role.COORDINATOR:
        raise Forbidden("Seul le coordonnateur modifie les données du marché.")
    contract = db.session.scalar(contract_scope.contracts(actor).where(Contract.id == contract_id))
    if contract is None:
        raise NotFound("Contrat introuvable.")
    return contract


def declare_unsuccessful(actor: Actor, lot_id: int, justification: str) -> Award:
    """Close the lot without a contract (no offer, or none acceptable); the reason is mandatory."""
    lot = _decidable_lot(actor, lot_id)
    justification = (justification or "").strip()
    if not justification:
        raise ServiceError("Le motif de l'infructuosité est obligatoire.")
    award = Award(
        lot_id=lot.id,
        decision=AwardDecision.UNSUCCESSFUL,
        offer_id=None,
        justification=justification,
        decided_by_id=actor.user_id,
    )
    db.session.add(award)
    before = lot.status
    lot.status = LotStatus.UNSUCCESSFUL
    db.session.flush()
    audit.record(
        actor.user_id,
        "award.create",
        "award",
        award.id,
        before={"lot_status": before},
        after={
            "lot": lot.id,
            "lot_status": LotStatus.UNSUCCESSFUL,
            "decision": AwardDecision.UNSUCCESSFUL,
            "justification": justification,
        },
    )
    return award


def decp_procedure(view: LotView) -> str:
    """The procedure as DECP names it, from the procedure advised for the lot."""
    if view.advice is None:
        return DECP_PROCEDURES[Procedure.MAPA_NOTICE]
    return DECP_PROCEDURES[view.advice.procedure]


def default_number(lot: Lot) -> str:
    campaign = lot.campaign
    number = f"{campaign.year}-{campaign.id}-L{lot.number:02d}"
    if len(number) > MAX_NUMBER_LENGTH:
        number = f"C{campaign.id}-L{lot.number:02d}"[-MAX_NUMBER_LENGTH:]
    return number


# --- helpers ------------------------------------------------------------------------------------------


def scoped_lot(actor: Actor, lot_id: int) -> Lot:
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("Lot introuvable.")
    campaign_scope.get_campaign(actor, lot.campaign_id)
    return lot


def _decidable_lot(actor: Actor, lot_id: int) -> Lot:
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


def _origins(
    family: Family, eu_percent: Decimal | None, france_percent: Decimal | None
) -> tuple[Decimal | None, Decimal | None]:
    if family is not Family.VEHICULES:
        return None, None
    if eu_percent is None or france_percent is None:
        raise ServiceError(
            "Pour un lot de véhicules, indiquez la part d'origine UE et la part d'origine France (en %) : "
            "les données essentielles (DECP) les demandent."
        )
    for value in (eu_percent, france_percent):
        if not 0 <= value <= 100:
            raise ServiceError("Les parts d'origine sont des pourcentages entre 0 et 100.")
    if france_percent > eu_percent:
        raise ServiceError(
            "La part d'origine France ne peut pas dépasser la part d'origine UE (la France en fait partie)."
        )
    return round_half_up(eu_percent, CENT), round_half_up(france_percent, CENT)


def _price_type(value: PriceType | str) -> PriceType:
    try:
        return PriceType(value)
    except ValueError:
        raise ServiceError(
            f"Type de prix inconnu « {value} » : prix ferme, actualisable ou révisable (valeurs DECP)."
        ) from None


def _contract_number(lot: Lot, number: str | None) -> str:
    chosen = (number or "").strip() or default_number(lot)
    if not NUMBER_SHAPE.match(chosen):
        raise ServiceError(
            f"Numéro de contrat invalide « {chosen} » : {MAX_NUMBER_LENGTH} caractères au plus, "
            "lettres sans accent, chiffres, tirets ou soulignés (c'est aussi l'identifiant DECP)."
        )
    if db.session.scalar(select(func.count()).select_from(Contract).where(Contract.number == chosen)):
        raise ServiceError(f"Le numéro de contrat « {chosen} » est déjà utilisé : choisissez-en un autre.")
    return chosen


def _offer_name(supplier_name: str, is_variant: bool) -> str:
    return f"{supplier_name} (variante)" if is_variant else supplier_name


# --- the rejection letters and the standstill ---------------------------------------------------------


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
    lot = _decidable_lot(actor, lot_id)
    offer, report, best, justification = _chosen_offer(actor, lot, offer_id, justification)
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
            title=f"Lettre de rejet : {_offer_name(row.supplier_name, row.is_variant)}",
            file_name=f"rejet-lot-{lot.number:02d}-offre-{row.offer_id}.pdf",
            content=award_letters.rejection_pdf(letter),
        )
    return sending


REJECTION_KIND = "lettre_de_rejet"
NOTIFICATION_KIND = "lettre_de_notification"


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
        lot_label=_lot_label(lot),
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


def _check_standstill(lot: Lot, offer: Offer, notified_on: date) -> None:
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


def _chosen_offer(actor: Actor, lot: Lot, offer_id: int, justification: str) -> tuple[Offer, LotAnalysis, int, str]:
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
        names = ", ".join(_offer_name(row.supplier_name, row.is_variant) for row in incomplete)
        raise ServiceError(
            f"La notation n'est pas terminée ({names}) : saisissez les notes technique et environnementale "
            "de toutes les offres avant d'attribuer le lot."
        )
    best = report.ranking[0].offer_id
    if offer.id != best and not justification:
        raise ServiceError("Cette offre n'est pas la mieux classée : la justification du choix est obligatoire.")
    return offer, report, best, justification


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
        lot_label=_lot_label(lot),
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
        supplier_name=_offer_name(row.supplier_name, row.is_variant),
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


def _lot_label(lot: Lot) -> str:
    return f"lot n°\u00a0{lot.number} : {lot.title}"
