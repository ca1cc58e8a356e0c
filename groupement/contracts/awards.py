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
- Standstill (tenders/standstill.py, recorded by rejections.py): for a formal procedure with more
  than one offer the award requires the record of the rejection letters' sending, retains the
  offer the letters named, and refuses a notification date before the end of the period, naming
  it. Without a standstill (MAPA, no competition, a single offer) the record is optional.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from groupement.contracts import scope as contract_scope
from groupement.contracts.award_lots import chosen_offer, decidable_lot, decp_procedure, lot_view
from groupement.contracts.models import Award, Contract, ContractPrice
from groupement.contracts.rejections import check_standstill
from groupement.contracts.rules import AwardDecision, ContractNature, PriceType
from groupement.core import audit
from groupement.core.access import Actor, Role
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.core.french import de
from groupement.core.money import CENT, round_half_up
from groupement.extensions import db
from groupement.lots.models import Lot
from groupement.lots.rules import LotStatus
from groupement.organisations.families import Family
from groupement.tenders.models import Offer

MAX_NUMBER_LENGTH = 16
NUMBER_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


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
    lot = decidable_lot(actor, lot_id)
    offer, report, best, justification = chosen_offer(actor, lot, offer_id, justification)
    if start_date is None or notified_on is None:
        raise ServiceError("Les dates de notification et de début d'exécution sont obligatoires.")
    if start_date < notified_on:
        raise ServiceError("L'exécution ne peut pas commencer avant la notification du marché.")
    check_standstill(lot, offer, notified_on)
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
    return _record_choice(actor, contract_id, "price_type", price_type, _price_type)


def set_nature(actor: Actor, contract_id: int, nature: ContractNature | str) -> Contract:
    """Supplies, services or works: the limits of its later amendments follow (R2194-8)."""
    return _record_choice(actor, contract_id, "nature", nature, _nature)


def _record_choice(actor: Actor, contract_id: int, attribute: str, value, parse) -> Contract:
    """One of the contract's listed values, checked (`parse` raises a French ServiceError), audited."""
    contract = editable_contract(actor, contract_id)
    chosen = parse(value)
    before = getattr(contract, attribute)
    setattr(contract, attribute, chosen)
    db.session.flush()
    audit.record(
        actor.user_id,
        f"contract.{attribute}",
        "contract",
        contract.id,
        before={attribute: before},
        after={"number": contract.number, attribute: chosen},
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
    lot = decidable_lot(actor, lot_id)
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


def default_number(lot: Lot) -> str:
    campaign = lot.campaign
    number = f"{campaign.year}-{campaign.id}-L{lot.number:02d}"
    if len(number) > MAX_NUMBER_LENGTH:
        number = f"C{campaign.id}-L{lot.number:02d}"[-MAX_NUMBER_LENGTH:]
    return number


# --- helpers ------------------------------------------------------------------------------------------


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


def _nature(value: ContractNature | str) -> ContractNature:
    try:
        return ContractNature(value)
    except ValueError:
        raise ServiceError("Nature du marché inconnue : fournitures, services ou travaux.") from None


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
