"""The rapport d'analyse des offres as a signed document (PDF, archived) and as a spreadsheet:
the criteria and their weights, each offer's scores with their justification, the ranking, the
abnormally-low check, a line-by-line comparison of the offers' unit prices, and the proposal
(the best ranked offer, or none while the scoring is incomplete)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import render_template

from groupement.core.access import Actor, Role
from groupement.core.archive import ArchivedDocument, archive
from groupement.core.errors import Forbidden
from groupement.core.files.pdf import Letterhead, html_to_pdf
from groupement.core.formatting import euros, number
from groupement.core.french import a
from groupement.core.timeutil import paris_today
from groupement.tenders import offer_analysis_xlsx
from groupement.tenders.letters import letterhead_of
from groupement.tenders.offer_queries import LotAnalysis, RankedOffer, analysis, analysis_sheet, lot_offers

REPORT_KIND = "rapport_analyse_offres"


@dataclass(frozen=True)
class PriceRow:
    ref: str
    designation: str
    unit: str
    quantity: int
    estimated_unit_price: Decimal
    unit_prices: tuple[Decimal | None, ...]  # per offer, in ranking order; None: not priced

    @property
    def lowest(self) -> Decimal | None:
        priced = [price for price in self.unit_prices if price is not None]
        return min(priced) if priced else None


@dataclass(frozen=True)
class AnalysisReport:
    analysis: LotAnalysis
    letterhead: Letterhead
    offers: tuple[RankedOffer, ...]  # the comparison's columns: the ranking, best first
    prices: tuple[PriceRow, ...]

    @property
    def proposal(self) -> RankedOffer | None:
        """The offer proposed for the award: the best ranked, once every offer is scored."""
        ranking = self.analysis.ranking
        if not ranking or self.analysis.criteria is None or not self.analysis.complete:
            return None
        return ranking[0]

    @property
    def proposal_text(self) -> str:
        best = self.proposal
        if best is None:
            if not self.analysis.ranking:
                return "Aucune offre reçue : le lot peut être déclaré infructueux."
            return "Pas de proposition : la notation n'est pas terminée."
        name = f"{best.supplier_name} (variante)" if best.is_variant else best.supplier_name
        return (
            f"Il est proposé d'attribuer le lot {a(name)}, offre classée au 1er rang avec "
            f"{number(best.weighted_total, 2)} points sur 100, pour un montant de {euros(best.total_ht)} HT "
            "au détail quantitatif estimatif."
            + (
                " Cette offre paraît anormalement basse : ses justifications doivent être demandées et examinées "
                "avant l'attribution (art. R2152-3 et R2152-4)."
                if best.abnormally_low
                else ""
            )
        )

    @property
    def abnormally_low(self) -> list[RankedOffer]:
        return [row for row in self.analysis.ranking if row.abnormally_low]


def analysis_report(actor: Actor, lot_id: int) -> AnalysisReport:
    report = analysis(actor, lot_id)
    data = lot_offers(actor, lot_id)
    prices_by_offer = {  # lot_offers has checked the lot against the actor's scope
        offer.id: {line.lot_line_id: line.unit_price for line in offer.lines} for offer in data.offers
    }
    rows = tuple(
        PriceRow(
            line.ref,
            line.designation,
            line.unit,
            line.total_quantity,
            line.estimated_unit_price,
            tuple(prices_by_offer.get(row.offer_id, {}).get(line.id) for row in report.ranking),
        )
        for line in data.lines
    )
    return AnalysisReport(
        report, letterhead_of(report.lot.campaign.groupement.coordinator), tuple(report.ranking), rows
    )


def report_pdf(report: AnalysisReport) -> bytes:
    lot = report.analysis.lot
    return html_to_pdf(
        render_template(
            "pdf/award_analysis.html",
            report=report,
            a=report.analysis,
            lot=lot,
            letterhead=report.letterhead,
            document_title="Rapport d'analyse des offres",
            reference=f"Lot n°\u00a0{lot.number} : {lot.title}",
            issued_on=paris_today(),
        )
    )


def archived_report_pdf(actor: Actor, lot_id: int) -> ArchivedDocument:
    """The report as PDF, produced now and archived with the lot (each edition is a new version)."""
    if actor.role is not Role.COORDINATOR:
        raise Forbidden("Le rapport d'analyse est édité par le coordonnateur.")
    report = analysis_report(actor, lot_id)
    lot = report.analysis.lot
    return archive(
        actor_id=actor.user_id,
        coordinator_id=lot.campaign.groupement.coordinator_id,
        object_type="lot",
        object_id=lot.id,
        kind=REPORT_KIND,
        title=f"Rapport d'analyse des offres : lot n° {lot.number}",
        file_name=f"analyse-offres-lot-{lot.number:02d}.pdf",
        content=report_pdf(report),
    )


def report_xlsx(report: AnalysisReport) -> bytes:
    """The spreadsheet: the analysis sheet (with the proposal) and the line-by-line comparison."""
    sheet = analysis_sheet(report.analysis)
    sheet.facts.append(("Proposition", report.proposal_text))
    names = [f"{row.supplier_name}{' (variante)' if row.is_variant else ''}" for row in report.offers]
    comparison = offer_analysis_xlsx.PriceComparison(
        offer_names=names,
        rows=[
            (row.ref, row.designation, row.unit, row.quantity, row.estimated_unit_price, *row.unit_prices)
            for row in report.prices
        ],
        totals=[row.total_ht for row in report.offers],
    )
    return offer_analysis_xlsx.analysis_workbook(sheet, comparison)
