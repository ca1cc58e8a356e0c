"""Offers on a published lot, recorded: the bidder's priced DQE imported, or keyed in from a paper
offer. The award criteria and the officer's scores are in offer_criteria, the offers page and the
analysis report (rapport d'analyse des offres) in offer_queries.

The coordinator writes; accountant and admin may read; commune users are refused. Every write is
audited (offer.import, offer.key, offer.replace, offer.score, criteria.set) and committed once.
Totals are always recomputed here from unit prices and quantities (tender_data.dqe_line_total,
the very formula of the DQE), never taken from the bidder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from groupement.core import audit
from groupement.core.access import Actor
from groupement.core.errors import ImportRejected, ServiceError
from groupement.core.files.upload_guard import MAX_UPLOAD_BYTES
from groupement.core.formatting import euros
from groupement.core.imports import ImportIssue
from groupement.core.money import CENT, UNIT_PRICE_STEP, exactly, has_at_most, to_cents
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.lots.models import Lot, LotLine
from groupement.tenders import offer_lots
from groupement.tenders.exports import tender_lot
from groupement.tenders.models import Offer, OfferLine, Supplier
from groupement.tenders.offer_sheet import MAX_PRICE
from groupement.tenders.offer_xlsx import read_offer_workbook
from groupement.tenders.rules import OfferSource
from groupement.tenders.tender_data import dqe_line_total
from groupement.tenders.tender_layout import ECO, UNIT_PRICE

KEYED_IN = "Saisie manuelle"


class PricesRejected(ImportRejected):
    """Keyed-in prices refused: every problem listed by line, nothing recorded."""

    def __init__(self, issues):
        super().__init__(issues)
        count = len(self.issues)
        self.args = (f"Offre refusée : {count} erreur{'s' if count > 1 else ''}, rien n'a été enregistré.",)


@dataclass
class RecordedOffer:
    offer: Offer
    replaced: bool
    warnings: list[str] = field(default_factory=list)


# --- offers ---------------------------------------------------------------------------------


def import_offer(
    actor: Actor,
    lot_id: int,
    supplier_id: int,
    file_name: str,
    content: bytes,
    is_variant: bool = False,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> RecordedOffer:
    """Read the bidder's priced DQE of the lot; all or nothing (ImportRejected lists every problem).
    An offer of the same supplier (and the same variant flag) is replaced."""
    lot = offer_lots.writable_lot(actor, lot_id)
    offer_lots.ensure_accepts_offers(lot)
    supplier = offer_lots.supplier(actor, supplier_id)
    lines = offer_lots.counted(lot)
    read = read_offer_workbook(content, file_name or "offre.xlsx", tender_lot(lot, lines), max_bytes)
    if read.issues:
        raise ImportRejected(read.issues)
    by_key = {line.line_key: line for line in lines}
    prices = {by_key[key].id: (price.unit_price, price.eco_participation) for key, price in read.prices.items()}
    return _record(actor, lot, lines, supplier, prices, is_variant, OfferSource.FILE, file_name, read.declared_total_ht)


def key_in_offer(
    actor: Actor,
    lot_id: int,
    supplier_id: int,
    prices: Mapping[int, tuple[Decimal | None, Decimal | None]],
    is_variant: bool = False,
) -> RecordedOffer:
    """An offer keyed in by the officer (a paper or PDF offer of a small lot): prices by lot line id,
    (unit price HT, eco-participation HT); an empty eco-participation counts as 0."""
    lot = offer_lots.writable_lot(actor, lot_id)
    offer_lots.ensure_accepts_offers(lot)
    supplier = offer_lots.supplier(actor, supplier_id)
    lines = offer_lots.counted(lot)
    numbers = {line.id: number for number, line in enumerate(lines, start=1)}
    unknown = set(prices) - set(numbers)
    if unknown:
        raise ServiceError("Des prix portent sur des lignes qui ne sont pas de ce lot : rechargez la page.")
    issues = []
    clean: dict[int, tuple[Decimal, Decimal]] = {}
    for line in lines:
        unit_price, eco = prices.get(line.id, (None, None))
        problems = [
            (UNIT_PRICE, _price_problem(unit_price, required=True)),
            (ECO, _price_problem(eco, required=False)),
        ]
        found = [(column, reason) for column, reason in problems if reason]
        issues += [
            ImportIssue(KEYED_IN, numbers[line.id], column, f"{line.ref} : {reason}") for column, reason in found
        ]
        if not found:
            clean[line.id] = (exactly(unit_price, UNIT_PRICE_STEP), exactly(eco or Decimal(0), UNIT_PRICE_STEP))
    if issues:
        raise PricesRejected(issues)
    return _record(actor, lot, lines, supplier, clean, is_variant, OfferSource.KEYED, "", None)


def _record(
    actor: Actor,
    lot: Lot,
    lines: list[LotLine],
    supplier: Supplier,
    prices: Mapping[int, tuple[Decimal, Decimal]],
    is_variant: bool,
    source: OfferSource,
    file_name: str,
    declared: Decimal | None,
) -> RecordedOffer:
    offer_lines = []
    for line in lines:
        unit_price, eco = prices[line.id]
        offer_lines.append(
            OfferLine(
                lot_line_id=line.id,
                unit_price=unit_price,
                eco_participation=eco,
                line_total_ht=dqe_line_total(line.total_quantity, unit_price, eco),
            )
        )
    total = sum((offer_line.line_total_ht for offer_line in offer_lines), Decimal(0))
    declared = to_cents(declared) if declared is not None else None
    # populate_existing: the audit's "before" is what the database holds, as read at commit time.
    offer = db.session.scalar(
        select(Offer)
        .where(Offer.lot_id == lot.id, Offer.supplier_id == supplier.id, Offer.is_variant == is_variant)
        .execution_options(populate_existing=True)
    )
    replaced = offer is not None
    before = _summary(offer) if offer is not None else None
    if offer is None:
        offer = Offer(lot_id=lot.id, supplier_id=supplier.id, is_variant=is_variant)
        db.session.add(offer)
    else:
        offer.lines.clear()
        db.session.flush()  # the old lines go before the new ones come (unique offer × line)
        # A new offer is analysed anew: the officer scores it again.
        offer.technical_score = offer.environmental_score = None
        offer.technical_justification = offer.environmental_justification = ""
    offer.source, offer.file_name = source, (file_name or "")[:255]
    offer.total_ht, offer.declared_total_ht = total, declared
    offer.received_at, offer.recorded_by_id = utcnow(), actor.user_id
    offer.lines.extend(offer_lines)
    db.session.flush()
    action = "offer.replace" if replaced else ("offer.import" if source is OfferSource.FILE else "offer.key")
    after = _summary(offer) | {"supplier": supplier.name}
    audit.record(actor.user_id, action, "offer", offer.id, before=before, after=after)
    warnings = []
    if declared is not None and abs(declared - total) > CENT:
        warnings.append(
            f"Le total HT écrit dans le fichier ({euros(declared)}) diffère du total recalculé à partir des prix "
            f"unitaires et des quantités ({euros(total)}), soit un écart de {euros(declared - total)} : "
            "le total recalculé est retenu pour l'analyse."
        )
    if replaced and (before or {}).get("technical_score") is not None:
        warnings.append("Les notes technique et environnementale de l'offre remplacée sont à saisir de nouveau.")
    return RecordedOffer(offer, replaced, warnings)


def _summary(offer: Offer) -> dict:
    return {
        "supplier_id": offer.supplier_id,
        "is_variant": offer.is_variant,
        "source": offer.source,
        "file_name": offer.file_name,
        "total_ht": offer.total_ht,
        "declared_total_ht": offer.declared_total_ht,
        "lines": len(offer.lines),
        "technical_score": offer.technical_score,
        "environmental_score": offer.environmental_score,
    }


def _price_problem(value: Decimal | None, required: bool) -> str | None:
    if value is None:
        return "prix unitaire HT manquant" if required else None
    if not value.is_finite():
        return "montant invalide"
    if value < 0:
        return "montant négatif : un prix est positif ou nul"
    if value > MAX_PRICE:
        return "montant trop élevé (100 000 000 € au plus)"
    if not has_at_most(value, UNIT_PRICE_STEP):
        return "4 décimales au plus"
    return None
