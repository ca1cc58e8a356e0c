"""Queries on a lot's offers: the offers page, an offer's detail, the analysis report and its spreadsheet."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from groupement.core.access import Actor
from groupement.core.errors import NotFound
from groupement.core.formatting import date_fr
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.lots.models import Lot, LotLine
from groupement.lots.rules import LotStatus
from groupement.tenders import offer_analysis_xlsx, offer_lots
from groupement.tenders.models import AwardCriteria, Offer, Supplier
from groupement.tenders.offer_analysis_xlsx import AnalysisSheet
from groupement.tenders.rules import OfferSource
from groupement.tenders.scoring import Candidate, Criteria, environmental_criterion_required, method_text, rank
from groupement.web.pagination import paginate


@dataclass
class LotOffers:
    lot: Lot
    lines: list[LotLine]  # the lines retained in the tender, in DQE order
    offers: list[Offer]  # by supplier, the base offer before the variant
    criteria: AwardCriteria | None
    estimate: Decimal  # the buyer's estimate of the DQE total HT
    # The offers page's: `offers` is then one page of them, and this counts them all.
    pagination: Pagination | None = None

    @property
    def offer_count(self) -> int:
        return self.pagination.total if self.pagination is not None else len(self.offers)

    @property
    def accepts_offers(self) -> bool:
        return self.lot.status is LotStatus.PUBLISHED

    @property
    def refusal(self) -> str | None:
        return None if self.accepts_offers else offer_lots.refusal(self.lot)

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


def _offers_of(lot_id: int) -> Select:
    """The lot's offers by supplier (accent- and case-blind: its search key), the base offer
    before the variant."""
    return (
        select(Offer)
        .join(Supplier, Supplier.id == Offer.supplier_id)
        .where(Offer.lot_id == lot_id)
        .options(selectinload(Offer.supplier))
        .order_by(Supplier.search_key, Offer.is_variant, Offer.id)
    )


def lot_offers(actor: Actor, lot_id: int) -> LotOffers:
    """Every offer of the lot (the analysis, an offer's page): bounded by the bidders."""
    lot = offer_lots.readable_lot(actor, lot_id)
    offers = db.session.scalars(_offers_of(lot.id)).all()
    lines = offer_lots.counted(lot)
    return LotOffers(lot, lines, list(offers), offer_lots.criteria_of(lot.id), offer_lots.estimate(lines))


def lot_offers_page(actor: Actor, lot_id: int) -> LotOffers:
    """The offers page: one page of the lot's offers (COUNT + LIMIT/OFFSET), with their count."""
    lot = offer_lots.readable_lot(actor, lot_id)
    pagination = paginate(_offers_of(lot.id))
    lines = offer_lots.counted(lot)
    criteria = offer_lots.criteria_of(lot.id)
    return LotOffers(lot, lines, list(pagination.items), criteria, offer_lots.estimate(lines), pagination)


def offer_detail(actor: Actor, offer_id: int) -> tuple[Offer, LotOffers]:
    """An offer with its lines, and its lot's offers page data (lines, criteria)."""
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        raise NotFound("Offre introuvable.")
    return offer, lot_offers(actor, offer.lot_id)


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
    return offer_analysis_xlsx.analysis_workbook(analysis_sheet(report))


def analysis_sheet(report: LotAnalysis) -> AnalysisSheet:
    """The analysis sheet's content: the lot, the criteria, the method, the ranking."""
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
    return AnalysisSheet(
        title=f"Rapport d'analyse des offres : lot n° {lot.number}",
        facts=facts,
        method=report.method,
        rows=rows,
    )


def analysis_file_name(report: LotAnalysis) -> str:
    return f"analyse-offres-lot-{report.lot.number:02d}.xlsx"


def _date(value: date | None) -> str:
    return date_fr(value) if value else "non fixé"
