"""The tender files of a campaign's lots: DQE, BPU, recap, annexes, the zip. Loads, maps to the
plain data of io/tender_xlsx.py, returns bytes; nothing is written to the database."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from groupement.domain.access import COMMUNE_ROLES, Actor
from groupement.extensions import db
from groupement.io import tender_xlsx
from groupement.io.tender_xlsx import CommuneColumn, TenderLine, TenderLot
from groupement.models import Campaign, Lot, LotLine, LotLineShare, Organisation
from groupement.services import scope
from groupement.services.errors import Forbidden, NotFound, ServiceError
from groupement.services.lots import LotsOverview, LotView, overview_of

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
    return tender_xlsx.recap_workbook(tender, _commune_columns(view)), f"recapitulatif-{name}.xlsx"


def campaign_file(actor: Actor, campaign_id: int, kind: str) -> tuple[bytes, str]:
    if kind not in CAMPAIGN_KINDS:
        raise NotFound()
    overview = _overview_in_scope(actor, campaign_id)
    base = f"{slug(overview.campaign.title, 40)}"
    if kind == "lots":
        return tender_xlsx.all_lots_workbook(_tender_lots(overview)), f"lots-{base}.xlsx"
    return tender_xlsx.tender_zip(tender_files(overview)), f"dossier-{base}.zip"


def commune_annex(actor: Actor, campaign_id: int, commune_id: int) -> tuple[bytes, str]:
    overview = _overview_in_scope(actor, campaign_id)
    column = next((c for c in _campaign_columns(overview) if c.insee == _insee_of(commune_id)), None)
    if column is None:
        raise NotFound("Cette commune n'a aucun besoin validé dans ces lots.")
    return tender_xlsx.commune_annex_workbook(column, _tender_lots(overview)), f"annexe-{slug(column.name, 40)}.xlsx"


def tender_files(overview: LotsOverview) -> dict[str, bytes]:
    """Every file of the tender, by its path in the zip."""
    views = [view for view in overview.lots if view.counted_lines]
    tenders = [_tender_lot(overview, view) for view in views]
    # The bidders' copy: the buyer's estimates stay out of it.
    files: dict[str, bytes] = {"00-tous-les-lots.xlsx": tender_xlsx.all_lots_workbook(tenders, with_estimate=False)}
    for view, tender in zip(views, tenders, strict=True):
        folder = f"lot-{view.lot.number:02d}-{slug(view.lot.title, 40)}"
        files[f"{folder}/DQE.xlsx"] = tender_xlsx.dqe_workbook(tender)
        files[f"{folder}/BPU.xlsx"] = tender_xlsx.bpu_workbook(tender)
        files[f"{folder}/recapitulatif-communes.xlsx"] = tender_xlsx.recap_workbook(tender, _commune_columns(view))
    for column in _campaign_columns(overview):
        files[f"annexes-communes/annexe-{slug(column.name, 40)}.xlsx"] = tender_xlsx.commune_annex_workbook(
            column, tenders
        )
    return files


def export_campaign(campaign_id: int, out_dir: Path) -> list[Path]:
    """For the command line: write every tender file under out_dir and return their paths."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("Campagne introuvable.")
    overview = overview_of(campaign)
    if not overview.lots:
        raise ServiceError("Cette campagne n'a pas encore de lots : agrégez-la d'abord.")
    written = []
    for relative, content in tender_files(overview).items():
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(path)
    archive = out_dir / f"dossier-{slug(campaign.title, 40)}.zip"
    archive.write_bytes(tender_xlsx.tender_zip(tender_files(overview)))
    return [*written, archive]


# --- mapping ------------------------------------------------------------------------------


def _overview_in_scope(actor: Actor, campaign_id: int) -> LotsOverview:
    if actor.role in COMMUNE_ROLES:
        raise Forbidden("Les pièces du marché sont préparées par le coordonnateur.")
    overview = overview_of(scope.get_campaign(actor, campaign_id))
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


def _shares(line_ids: list[int]) -> list[tuple[str, str, str, int]]:
    """(line_key, insee, commune name, quantity) of the given lines, in one query."""
    return db.session.execute(
        select(LotLine.line_key, Organisation.insee_code, Organisation.name, LotLineShare.quantity)
        .join(LotLine, LotLine.id == LotLineShare.lot_line_id)
        .join(Organisation, Organisation.id == LotLineShare.commune_id)
        .where(LotLineShare.lot_line_id.in_(line_ids))
    ).all()


def _columns(rows) -> list[CommuneColumn]:
    quantities: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for line_key, insee, name, quantity in rows:
        quantities[(insee or "", name)][line_key] = quantity
    return [CommuneColumn(insee, name, q) for (insee, name), q in sorted(quantities.items(), key=lambda kv: kv[0][1])]


def _commune_columns(view: LotView) -> list[CommuneColumn]:
    return _columns(_shares([line.id for line in view.counted_lines]))


def _campaign_columns(overview: LotsOverview) -> list[CommuneColumn]:
    return _columns(_shares([line.id for view in overview.lots for line in view.counted_lines]))


def _insee_of(commune_id: int) -> str | None:
    return db.session.scalar(select(Organisation.insee_code).where(Organisation.id == commune_id))
