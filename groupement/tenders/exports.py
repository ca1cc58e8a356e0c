"""The tender files of a campaign's lots: DQE, BPU, recap, annexes, the zip. Loads, maps to the
plain data of tenders/tender_data.py, returns bytes; nothing is written to the database."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import closing
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from groupement.campaigns import scope as campaign_scope
from groupement.campaigns.models import Campaign
from groupement.core.access import COMMUNE_ROLES, Actor
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.extensions import db
from groupement.lots.models import Lot, LotLine, LotLineShare
from groupement.lots.queries import LotsOverview, LotView, overview_of
from groupement.organisations.models import Organisation
from groupement.tenders import annex_xlsx, recap_xlsx, tender_package, tender_xlsx
from groupement.tenders.tender_data import CommuneColumn, TenderLine, TenderLot

LOT_KINDS = ("dqe", "bpu", "recap")
CAMPAIGN_KINDS = ("lots", "zip")


def slug(text: str, length: int = 60) -> str:
    """A file name any system accepts: 'Lot 2 - Papier et enveloppes' -> 'lot-2-papier-et-enveloppes'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:length] or "fichier"


def lot_file(actor: Actor, lot_id: int, kind: str) -> tuple[bytes, str]:
    if kind not in LOT_KINDS:
        raise NotFound()
    overview, view = _lot_in_scope(actor, lot_id)
    if not view.counted_lines:
        raise ServiceError(f"Le lot n° {view.lot.number} n'a aucune ligne retenue : aucun fichier à produire.")
    tender = _tender_lot(overview, view)
    name = f"lot-{view.lot.number:02d}-{slug(view.lot.title, 40)}"
    if kind == "dqe":
        return tender_xlsx.dqe_workbook(tender), f"DQE-{name}.xlsx"
    if kind == "bpu":
        return tender_xlsx.bpu_workbook(tender), f"BPU-{name}.xlsx"
    return recap_xlsx.recap_workbook(tender, _commune_columns(view)), f"recapitulatif-{name}.xlsx"


def campaign_file(actor: Actor, campaign_id: int, kind: str) -> tuple[bytes, str]:
    if kind not in CAMPAIGN_KINDS:
        raise NotFound()
    overview = _overview_in_scope(actor, campaign_id)
    base = f"{slug(overview.campaign.title, 40)}"
    if kind == "lots":
        return tender_xlsx.all_lots_workbook(_tender_lots(overview)), f"lots-{base}.xlsx"
    return tender_package.zip_in_order(tender_files(overview)), f"dossier-{base}.zip"


def commune_annex(actor: Actor, campaign_id: int, commune_id: int) -> tuple[bytes, str]:
    overview = _overview_in_scope(actor, campaign_id)
    column = next((c for c in _campaign_columns(overview) if c.insee == _insee_of(commune_id)), None)
    if column is None:
        raise NotFound("Cette commune n'a aucun besoin validé dans ces lots.")
    return annex_xlsx.commune_annex_workbook(column, _tender_lots(overview)), f"annexe-{slug(column.name, 40)}.xlsx"


def tender_files(overview: LotsOverview) -> Iterator[tuple[str, bytes]]:
    """Every file of the tender with its path in the zip, one at a time and always in the same order:
    at a thousand communes they weigh hundreds of Mo together, so none is kept once handed over.
    The communes' annexes (most of the cells) may be written by EXPORT_PROCESSES processes, started
    before the lot files so that both go on at once."""
    views = [view for view in overview.lots if view.counted_lines]
    tenders = [_tender_lot(overview, view) for view in views]
    columns = _campaign_columns(overview)  # the shares read once, each lot's recap takes its part
    annexes = annex_xlsx.annex_workbooks(columns, tenders, processes=current_app.config["EXPORT_PROCESSES"])
    with closing(annexes):
        # The bidders' copy: the buyer's estimates stay out of it.
        yield "00-tous-les-lots.xlsx", tender_xlsx.all_lots_workbook(tenders, with_estimate=False)
        for view, tender in zip(views, tenders, strict=True):
            folder = f"lot-{view.lot.number:02d}-{slug(view.lot.title, 40)}"
            yield f"{folder}/DQE.xlsx", tender_xlsx.dqe_workbook(tender)
            yield f"{folder}/BPU.xlsx", tender_xlsx.bpu_workbook(tender)
            yield f"{folder}/recapitulatif-communes.xlsx", recap_xlsx.recap_workbook(tender, _part_of(columns, view))
        for column, content in zip(columns, annexes, strict=True):
            yield f"annexes-communes/annexe-{slug(column.name, 40)}.xlsx", content


def tender_file_count(overview: LotsOverview) -> int:
    """How many files tender_files() yields: the progress of the dossier job counts them."""
    lots = sum(1 for view in overview.lots if view.counted_lines)
    return 1 + 3 * lots + len(_campaign_columns(overview))


def export_campaign(campaign_id: int, out_dir: Path) -> list[Path]:
    """For the command line: write every tender file under out_dir, and the zip of them all, in one
    pass; return their paths."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("Campagne introuvable.")
    overview = overview_of(campaign)
    if not overview.lots:
        raise ServiceError("Cette campagne n'a pas encore de lots : agrégez-la d'abord.")
    written: list[Path] = []

    def written_as_they_come() -> Iterator[tuple[str, bytes]]:
        for relative, content in tender_files(overview):
            path = out_dir / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            written.append(path)
            yield relative, content

    archive = out_dir / f"dossier-{slug(campaign.title, 40)}.zip"
    archive.write_bytes(tender_package.zip_in_order(written_as_they_come()))
    return [*written, archive]


# --- mapping ------------------------------------------------------------------------------


def _overview_in_scope(actor: Actor, campaign_id: int) -> LotsOverview:
    if actor.role in COMMUNE_ROLES:
        raise Forbidden("Les pièces du marché sont préparées par le coordonnateur.")
    overview = overview_of(campaign_scope.get_campaign(actor, campaign_id))
    if not overview.lots:
        raise ServiceError("Cette campagne n'a pas encore de lots : agrégez-la d'abord.")
    return overview


def _lot_in_scope(actor: Actor, lot_id: int) -> tuple[LotsOverview, LotView]:
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("Lot introuvable.")
    overview = _overview_in_scope(actor, lot.campaign_id)
    return overview, next(view for view in overview.lots if view.lot.id == lot_id)


def tender_lot(lot: Lot, counted_lines: Sequence[LotLine]) -> TenderLot:
    """The lot as its DQE is written; the offers reader maps a bidder's file back through it."""
    campaign = lot.campaign
    lines = tuple(
        TenderLine(
            line_key=line.line_key,
            number=number,
            ref=line.ref,
            designation=line.designation,
            unit=line.unit,
            cpv=line.cpv_code,
            quantity=line.total_quantity,
            vat_rate=line.vat_rate,
            estimated_unit_price=line.estimated_unit_price,
        )
        for number, line in enumerate(counted_lines, start=1)
    )
    return TenderLot(str(lot.id), lot.number, lot.title, campaign.groupement.name, campaign.title, lines)


def _tender_lot(overview: LotsOverview, view: LotView) -> TenderLot:
    return tender_lot(view.lot, view.counted_lines)


def _tender_lots(overview: LotsOverview) -> list[TenderLot]:
    """Lots with at least one line retained: a lot whose lines are all excluded has no file."""
    return [_tender_lot(overview, view) for view in overview.lots if view.counted_lines]


def _columns(line_ids: list[int]) -> list[CommuneColumn]:
    """Each commune's quantities on the given lines, sorted by name. The shares (a million at a thousand
    communes) are read as ids and streamed into the columns, never held as rows."""
    keys = dict(db.session.execute(select(LotLine.id, LotLine.line_key).where(LotLine.id.in_(line_ids))).all())
    quantities: dict[int, dict[str, int]] = defaultdict(dict)
    shares = db.session.execute(
        select(LotLineShare.commune_id, LotLineShare.lot_line_id, LotLineShare.quantity).where(
            LotLineShare.lot_line_id.in_(line_ids)
        ),
        execution_options={"yield_per": 50_000},
    )
    for commune_id, line_id, quantity in shares:
        quantities[commune_id][keys[line_id]] = quantity
    names = db.session.execute(
        select(Organisation.id, Organisation.insee_code, Organisation.name).where(Organisation.id.in_(quantities))
    ).all()
    return [
        CommuneColumn(insee or "", name, quantities[commune_id])
        for commune_id, insee, name in sorted(names, key=lambda row: (row.name, row.insee_code or ""))
    ]


def _commune_columns(view: LotView) -> list[CommuneColumn]:
    return _columns([line.id for line in view.counted_lines])


def _part_of(columns: Sequence[CommuneColumn], view: LotView) -> list[CommuneColumn]:
    """The campaign's columns cut to the lot's lines, the communes without any of them left out:
    what _commune_columns(view) reads from the database, without reading the shares again."""
    keys = {line.line_key for line in view.counted_lines}
    part = []
    for column in columns:
        quantities = {key: quantity for key, quantity in column.quantities.items() if key in keys}
        if quantities:
            part.append(CommuneColumn(column.insee, column.name, quantities))
    return part


def _campaign_columns(overview: LotsOverview) -> list[CommuneColumn]:
    return _columns([line.id for view in overview.lots for line in view.counted_lines])


def _insee_of(commune_id: int) -> str | None:
    return db.session.scalar(select(Organisation.insee_code).where(Organisation.id == commune_id))
