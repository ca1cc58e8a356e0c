"""What the award and contract pages show: the award page, the contracts list, a contract's detail and prices."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.models import Campaign
from groupement.contracts.award_lots import decp_procedure, lot_view, scoped_lot
from groupement.contracts.awards import default_number
from groupement.contracts.models import Award, Contract, ContractPrice, RejectionSending
from groupement.contracts.rejections import (
    NOTIFICATION_KIND,
    REJECTION_KIND,
    award_documents,
    rejection_sending,
    standstill_of,
    standstill_required,
)
from groupement.core.access import COORDINATOR_SIDE_ROLES, Actor
from groupement.core.archive import ArchivedDocument
from groupement.core.errors import Forbidden, NotFound
from groupement.extensions import db
from groupement.lots.models import Lot
from groupement.lots.queries import LotView
from groupement.lots.rules import LotStatus
from groupement.organisations.families import Family
from groupement.tenders.models import Offer
from groupement.tenders.offer_queries import LotAnalysis, RankedOffer, analysis
from groupement.tenders.standstill import Standstill

# --- the award page -------------------------------------------------------------------------------


@dataclass
class AwardPage:
    lot: Lot
    view: LotView
    analysis: LotAnalysis
    award: Award | None
    contract: Contract | None
    default_number: str
    procedure: str
    sending: RejectionSending | None = None  # the rejection letters sent
    standstill: Standstill | None = None  # the period they started, when one is required
    standstill_required: bool = False
    documents: list[ArchivedDocument] = field(default_factory=list)

    @property
    def rejection_letters(self) -> list[ArchivedDocument]:
        return [doc for doc in self.documents if doc.kind == REJECTION_KIND]

    @property
    def notification_letters(self) -> list[ArchivedDocument]:
        return [doc for doc in self.documents if doc.kind == NOTIFICATION_KIND]

    @property
    def may_send_rejections(self) -> bool:
        return self.decidable and self.ready and self.sending is None and len(self.ranking) > 1

    @property
    def retained_offer_id(self) -> int | None:
        """The offer the award form proposes: the one the letters announced, else the best ranked."""
        return self.sending.offer_id if self.sending else self.best_offer_id

    @property
    def ranking(self) -> list[RankedOffer]:
        return self.analysis.ranking

    @property
    def best_offer_id(self) -> int | None:
        return self.ranking[0].offer_id if self.ranking else None

    @property
    def decidable(self) -> bool:
        return self.lot.status is LotStatus.PUBLISHED and self.award is None

    @property
    def incomplete(self) -> list[RankedOffer]:
        return [row for row in self.ranking if not row.complete]

    @property
    def ready(self) -> bool:
        """Every offer is scored on the lot's criteria: an award may be decided."""
        return self.analysis.criteria is not None and bool(self.ranking) and not self.incomplete

    @property
    def needs_origins(self) -> bool:
        return self.lot.family is Family.VEHICULES


def award_page(actor: Actor, lot_id: int) -> AwardPage:
    if actor.role not in COORDINATOR_SIDE_ROLES:
        raise Forbidden("L'attribution est décidée par le coordonnateur.")
    lot = scoped_lot(actor, lot_id)
    view = lot_view(lot)
    award = db.session.scalar(select(Award).where(Award.lot_id == lot.id))
    contract = db.session.scalar(select(Contract).where(Contract.lot_id == lot.id))
    report = analysis(actor, lot.id)
    sending = rejection_sending(lot)
    return AwardPage(
        lot,
        view,
        report,
        award,
        contract,
        default_number(lot),
        decp_procedure(view),
        sending=sending,
        standstill=standstill_of(sending),
        standstill_required=standstill_required(view, len(report.ranking)),
        documents=award_documents(actor, lot.id),
    )


def standstill_periods(actor: Actor) -> list[RejectionSending]:
    """The standstill periods of the lots still to notify, in the actor's campaigns, the first to
    end first (for the coordinator's home: « délais de suspension en cours ou échus »)."""
    campaign_ids = campaign_scope.campaigns(actor).with_only_columns(Campaign.id)
    return list(
        db.session.scalars(
            select(RejectionSending)
            .join(Lot, Lot.id == RejectionSending.lot_id)
            .where(
                Lot.campaign_id.in_(campaign_ids),
                Lot.status == LotStatus.PUBLISHED,
                RejectionSending.standstill_required.is_(True),
            )
            .options(selectinload(RejectionSending.lot), selectinload(RejectionSending.offer))
            .order_by(RejectionSending.standstill_last_day, RejectionSending.id)
        )
    )


# --- contracts --------------------------------------------------------------------------------------


def list_contracts(actor: Actor) -> list[Contract]:
    """The contracts of the campaigns the actor may see (a commune: of its groupements)."""
    campaign_ids = campaign_scope.campaigns(actor).with_only_columns(Campaign.id)
    return list(
        db.session.scalars(
            select(Contract)
            .join(Lot, Lot.id == Contract.lot_id)
            .where(Lot.campaign_id.in_(campaign_ids))
            .options(
                selectinload(Contract.supplier),
                selectinload(Contract.lot).selectinload(Lot.campaign),
            )
            .order_by(Contract.notified_on.desc(), Contract.number)
        )
    )


@dataclass
class ContractDetail:
    contract: Contract
    lot: Lot
    award: Award
    offer: Offer | None
    prices: list[ContractPrice]  # in the lot's line order


def contract_detail(actor: Actor, contract_id: int) -> ContractDetail:
    contract = db.session.get(Contract, contract_id)
    if contract is None:
        raise NotFound("Contrat introuvable.")
    campaign_scope.get_campaign(actor, contract.lot.campaign_id)
    prices = db.session.scalars(
        select(ContractPrice)
        .where(ContractPrice.contract_id == contract.id)
        .options(selectinload(ContractPrice.lot_line))
    ).all()
    prices = sorted(prices, key=lambda price: price.lot_line.position)
    return ContractDetail(contract, contract.lot, contract.award, contract.award.offer, prices)


def contract_prices_table(detail: ContractDetail) -> tuple[list[str], list[tuple]]:
    """Header and rows of the contract's price list (page and Excel)."""
    header = ["Référence", "Désignation", "Unité", "Prix unitaire HT", "Éco-participation HT", "TVA (%)"]
    rows = [
        (
            price.lot_line.ref,
            price.lot_line.designation,
            price.lot_line.unit,
            price.unit_price,
            price.eco_participation,
            price.vat_rate,
        )
        for price in detail.prices
    ]
    return header, rows
