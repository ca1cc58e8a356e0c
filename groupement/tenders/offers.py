"""Offers on a published lot (the bidder's priced DQE imported, or keyed in from a paper offer),
the award criteria, the officer's scores, and the analysis report (rapport d'analyse des offres).

The coordinator writes; accountant and admin may read; commune users are refused. Every write is
audited (offer.import, offer.key, offer.replace, offer.score, criteria.set) and committed once.
Totals are always recomputed here from unit prices and quantities (tender_data.dqe_line_total,
the very formula of the DQE), never taken from the bidder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from groupement.campaigns import scope as campaign_scope
from groupement.core import audit
from groupement.core.access import COMMUNE_ROLES, Actor, Role
from groupement.core.errors import Forbidden, ImportRejected, NotFound, ServiceError
from groupement.core.files.upload_guard import MAX_UPLOAD_BYTES
from groupement.core.formatting import date_fr, euros
from groupement.core.imports import ImportIssue
from groupement.core.money import CENT, UNIT_PRICE_STEP, exactly, has_at_most, to_cents
from groupement.core.timeutil import paris_today, utcnow
from groupement.extensions import db
from groupement.lots.models import Lot, LotLine
from groupement.lots.queries import line_amount
from groupement.lots.rules import LotStatus
from groupement.tenders import offer_xlsx
from groupement.tenders import scope as supplier_scope
from groupement.tenders.exports import tender_lot
from groupement.tenders.models import AwardCriteria, Offer, OfferLine, Supplier
from groupement.tenders.offer_xlsx import MAX_PRICE, AnalysisSheet, read_offer_workbook
from groupement.tenders.rules import OfferSource
from groupement.tenders.scoring import (
    Candidate,
    Criteria,
    criteria_problems,
    environmental_criterion_required,
    method_text,
    rank,
    score_problem,
)
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


@dataclass
class LotOffers:
    lot: Lot
    lines: list[LotLine]  # the lines retained in the tender, in DQE order
    offers: list[Offer]  # by supplier, the base offer before the variant
    criteria: AwardCriteria | None
    estimate: Decimal  # the buyer's estimate of the DQE total HT

    @property
    def accepts_offers(self) -> bool:
        return self.lot.status is LotStatus.PUBLISHED

    @property
    def refusal(self) -> str | None:
        return None if self.accepts_offers else _refusal(self.lot)

    @property
    def environmental_required(self) -> bool:
        """An environmental criterion is required (art. L2152-7) for the lot's launch date."""
        return environmental_criterion_required(self.lot.launch_date or paris_today())


@dataclass(frozen=True)
class RankedOffer:
    offer_id: int
    supplier_name: str
    is_variant: bool
    total_ht: Decimal
    price_score: Decimal | None
    technical_score: Decimal | None
    environmental_score: Decimal | None
    weighted_total: Decimal | None
    rank: int
    abnormally_low: bool
    complete: bool  # every criterion with a weight has its score
    declared_total_ht: Decimal | None = None
    technical_justification: str = ""
    environmental_justification: str = ""
    source: OfferSource = OfferSource.FILE


@dataclass
class LotAnalysis:
    lot: Lot
    criteria: AwardCriteria | None
    ranking: list[RankedOffer]  # best first
    estimate: Decimal = Decimal(0)
    method: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.criteria is not None and bool(self.ranking) and all(r.complete for r in self.ranking)

    @property
    def environmental_required(self) -> bool:
        return environmental_criterion_required(self.lot.launch_date or paris_today())


# --- offers ---------------------------------------------------------------------------------


def lot_offers(actor: Actor, lot_id: int) -> LotOffers:
    lot = _readable_lot(actor, lot_id)
    offers = db.session.scalars(select(Offer).where(Offer.lot_id == lot.id).options(selectinload(Offer.supplier))).all()
    offers = sorted(offers, key=lambda o: (o.supplier.name.casefold(), o.is_variant, o.id))
    lines = _counted(lot)
    return LotOffers(lot, lines, list(offers), _criteria_of(lot.id), _estimate(lines))


def offer_detail(actor: Actor, offer_id: int) -> tuple[Offer, LotOffers]:
    """An offer with its lines, and its lot's offers page data (lines, criteria)."""
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        raise NotFound("Offre introuvable.")
    return offer, lot_offers(actor, offer.lot_id)


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
    lot = _writable_lot(actor, lot_id)
    _ensure_accepts_offers(lot)
    supplier = _supplier(actor, supplier_id)
    lines = _counted(lot)
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
    lot = _writable_lot(actor, lot_id)
    _ensure_accepts_offers(lot)
    supplier = _supplier(actor, supplier_id)
    lines = _counted(lot)
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
    lot = _writable_lot(actor, lot_id)
    if lot.status not in (LotStatus.DRAFT, LotStatus.PUBLISHED):
        raise ServiceError(_refusal(lot))
    wanted = Criteria(price, technical, environmental, abnormally_low_percent)
    problems = criteria_problems(wanted, lot.launch_date or today or paris_today())
    if problems:
        raise ServiceError(" ".join(problems))
    criteria = _criteria_of(lot.id)
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
    lot = _writable_lot(actor, offer.lot_id)
    _ensure_accepts_offers(lot)
    criteria = _criteria_of(lot.id)
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


# --- the analysis report ------------------------------------------------------------------------


def analysis(actor: Actor, lot_id: int) -> LotAnalysis:
    """The offers of the lot scored and ranked, best first (tenders.scoring explains the method)."""
    data = lot_offers(actor, lot_id)
    criteria = data.criteria
    weights = (
        Criteria(
            criteria.price_weight,
            criteria.technical_weight,
            criteria.environmental_weight,
            criteria.abnormally_low_percent,
        )
        if criteria
        else None
    )
    by_id = {offer.id: offer for offer in data.offers}
    candidates = [
        Candidate(offer.id, offer.supplier.name, offer.total_ht, offer.technical_score, offer.environmental_score)
        for offer in data.offers
    ]
    ranking = []
    for scored in rank(candidates, weights, data.estimate if data.lines else None):
        offer = by_id[scored.candidate.key]
        ranking.append(
            RankedOffer(
                offer_id=offer.id,
                supplier_name=offer.supplier.name,
                is_variant=offer.is_variant,
                total_ht=offer.total_ht,
                price_score=scored.price_score,
                technical_score=scored.technical_score,
                environmental_score=scored.environmental_score,
                weighted_total=scored.weighted_total,
                rank=scored.rank,
                abnormally_low=scored.abnormally_low,
                complete=scored.complete,
                declared_total_ht=offer.declared_total_ht,
                technical_justification=offer.technical_justification,
                environmental_justification=offer.environmental_justification,
                source=offer.source,
            )
        )
    percent = criteria.abnormally_low_percent if criteria else Decimal(70)
    return LotAnalysis(data.lot, criteria, ranking, data.estimate, method_text(percent))


def analysis_xlsx(report: LotAnalysis) -> bytes:
    """The analysis report as a spreadsheet: the lot, the criteria, the method, the ranking."""
    lot, criteria = report.lot, report.criteria
    facts = [
        ("Groupement de commandes", lot.campaign.groupement.name),
        ("Campagne", lot.campaign.title),
        ("Lot", f"n° {lot.number} : {lot.title}"),
        ("Lancement de la consultation", _date(lot.launch_date)),
        ("Estimation de l'acheteur (total DQE HT)", report.estimate),
        ("Offres reçues", len(report.ranking)),
    ]
    if criteria:
        facts += [
            ("Poids du prix", criteria.price_weight),
            ("Poids de la valeur technique", criteria.technical_weight),
            ("Poids du critère environnemental", criteria.environmental_weight),
            ("Seuil d'offre anormalement basse (%)", criteria.abnormally_low_percent),
        ]
    else:
        facts.append(("Critères", "non fixés : aucune note calculée"))
    if report.ranking and not report.complete:
        facts.append(("État", "analyse provisoire : des notes restent à saisir"))
    rows = [
        (
            ranked.rank,
            ranked.supplier_name,
            "oui" if ranked.is_variant else "non",
            ranked.total_ht,
            ranked.declared_total_ht,
            ranked.price_score,
            ranked.technical_score,
            ranked.environmental_score,
            ranked.weighted_total,
            "à examiner" if ranked.abnormally_low else "",
            ranked.technical_justification,
            ranked.environmental_justification,
        )
        for ranked in report.ranking
    ]
    return offer_xlsx.analysis_workbook(
        AnalysisSheet(
            title=f"Rapport d'analyse des offres : lot n° {lot.number}",
            facts=facts,
            method=report.method,
            rows=rows,
        )
    )


def analysis_file_name(report: LotAnalysis) -> str:
    return f"analyse-offres-lot-{report.lot.number:02d}.xlsx"


# --- helpers ------------------------------------------------------------------------------------


def _readable_lot(actor: Actor, lot_id: int) -> Lot:
    if actor.role in COMMUNE_ROLES:
        raise Forbidden("Les offres sont reçues et analysées par le coordonnateur.")
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("Lot introuvable.")
    campaign_scope.get_campaign(actor, lot.campaign_id)
    return lot


def _writable_lot(actor: Actor, lot_id: int) -> Lot:
    if actor.role is not Role.COORDINATOR:
        raise Forbidden("Seul le coordonnateur enregistre et note les offres.")
    return _readable_lot(actor, lot_id)


def _ensure_accepts_offers(lot: Lot) -> None:
    if lot.status is not LotStatus.PUBLISHED:
        raise ServiceError(_refusal(lot))


def _refusal(lot: Lot) -> str:
    if lot.status is LotStatus.DRAFT:
        return f"Le lot n° {lot.number} est en préparation : publiez-le avant d'enregistrer des offres."
    return f"Le lot n° {lot.number} est {lot.status.label} : ses offres et leurs notes ne changent plus."


def _supplier(actor: Actor, supplier_id: int | None) -> Supplier:
    """One of the actor's coordinator's suppliers (another coordinator's is as good as absent)."""
    try:
        return supplier_scope.get_supplier(actor, supplier_id)
    except NotFound:
        raise ServiceError("Choisissez le fournisseur qui a remis l'offre.") from None


def _counted(lot: Lot) -> list[LotLine]:
    return [line for line in lot.lines if not line.excluded_reason]


def _estimate(lines: list[LotLine]) -> Decimal:
    return sum((line_amount(line) for line in lines), Decimal(0))


def _criteria_of(lot_id: int) -> AwardCriteria | None:
    return db.session.scalar(select(AwardCriteria).where(AwardCriteria.lot_id == lot_id))


def _date(value: date | None) -> str:
    return date_fr(value) if value else "non fixé"
