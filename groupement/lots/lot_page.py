"""The read side of one lot's page, bounded at any size: its amounts from lots/page.lot_summaries
(SQL sums), its lines a page at a time with the shares of those lines only, and the communes' part
of the lot summed by the database (1 000 communes × the lot's lines are a hundred thousand shares
at 1 000 × 5 000), shown a page at a time, largest first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.models import Campaign
from groupement.core.access import Actor, Role
from groupement.core.errors import Forbidden, NotFound
from groupement.core.money import from_cents
from groupement.core.money_sql import line_cents
from groupement.extensions import db
from groupement.lots.models import Lot, LotLine, LotLineShare
from groupement.lots.page import LotSummary, RowsPagination, lot_summaries, page_of
from groupement.lots.queries import CommuneShareRow
from groupement.organisations.models import Organisation

LINES_PER_PAGE = 50
COMMUNES_PER_PAGE = 50
SHARES_LISTED = 20  # a line's communes named in its row; the others are counted (every share is in the annexes)

LOT_LINE_COLUMNS = (
    LotLine.id,
    LotLine.lot_id,
    LotLine.ref,
    LotLine.designation,
    LotLine.unit,
    LotLine.cpv_code,
    LotLine.total_quantity,
    LotLine.estimated_unit_price,
    LotLine.eco_participation,
    LotLine.excluded_reason,
)


@dataclass(frozen=True)
class LineShares:
    count: int
    listed: list[tuple[str, int]]  # (commune name, quantity), largest quantities first

    @property
    def others(self) -> int:
        return self.count - len(self.listed)


@dataclass
class LotPage:
    campaign: Campaign
    lot: Lot
    summary: LotSummary
    launch_date: date
    lines: Pagination  # rows of LOT_LINE_COLUMNS, by position
    shares: dict[int, LineShares]  # of the lines of this page, by line id
    communes: list[CommuneShareRow]  # every commune with a share of a retained line, largest first
    communes_page: Pagination  # items: CommuneShareRow


def lot_page(actor: Actor, lot_id: int, lines_page: int = 1, communes_page: int = 1) -> LotPage:
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("Lot introuvable.")
    if actor.role is Role.AGENT or actor.role is Role.SIGNATORY:
        raise Forbidden("Les lots sont construits par le coordonnateur.")
    campaign = campaign_scope.get_campaign(actor, lot.campaign_id)  # another coordinator's lot: 404
    summaries, launch = lot_summaries(campaign)
    summary = next(s for s in summaries if s.lot.id == lot.id)
    lines = RowsPagination(
        page=lines_page,
        per_page=LINES_PER_PAGE,
        error_out=False,
        select=select(*LOT_LINE_COLUMNS).where(LotLine.lot_id == lot.id).order_by(LotLine.position, LotLine.id),
        session=db.session,
    )
    communes = commune_shares(lot)
    return LotPage(
        campaign,
        lot,
        summary,
        launch,
        lines,
        line_shares([line.id for line in lines.items]),
        communes,
        page_of(communes, communes_page, COMMUNES_PER_PAGE),
    )


def line_shares(line_ids: list[int]) -> dict[int, LineShares]:
    """The shares of these lines: each line's count, and its SHARES_LISTED largest quantities."""
    if not line_ids:
        return {}
    rows = db.session.execute(
        select(LotLineShare.lot_line_id, Organisation.name, LotLineShare.quantity)
        .join(Organisation, Organisation.id == LotLineShare.commune_id)
        .where(LotLineShare.lot_line_id.in_(line_ids))
        .order_by(LotLineShare.lot_line_id, LotLineShare.quantity.desc(), Organisation.name)
    ).all()
    by_line: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for line_id, name, quantity in rows:
        by_line[line_id].append((name, quantity))
    return {line_id: LineShares(len(shares), shares[:SHARES_LISTED]) for line_id, shares in by_line.items()}


def commune_shares(lot: Lot) -> list[CommuneShareRow]:
    """Each commune's quantity and amount over the lot's retained lines (each share to the cent,
    as lots/queries.lot_detail adds them), largest amount first."""
    amount = func.sum(line_cents(LotLineShare.quantity, LotLine.estimated_unit_price + LotLine.eco_participation))
    rows = db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.insee_code, func.sum(LotLineShare.quantity), amount)
        .join(LotLine, LotLine.id == LotLineShare.lot_line_id)
        .join(Organisation, Organisation.id == LotLineShare.commune_id)
        .where(LotLine.lot_id == lot.id, LotLine.excluded_reason.is_(None))
        .group_by(Organisation.id, Organisation.name, Organisation.insee_code)
    ).all()
    shares = [
        CommuneShareRow(cid, name, insee, int(quantity), from_cents(cents))
        for cid, name, insee, quantity, cents in rows
    ]
    return sorted(shares, key=lambda row: (-row.amount, row.name))
