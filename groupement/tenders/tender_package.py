"""The zips of tender files: in name order, in the order given, and the whole tender package."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from groupement.tenders.annex_xlsx import AnnexLots
from groupement.tenders.recap_xlsx import recap_workbook
from groupement.tenders.tender_data import CommuneColumn, TenderLot
from groupement.tenders.tender_xlsx import all_lots_workbook, bpu_workbook, dqe_workbook


def tender_zip(files: Mapping[str, bytes]) -> bytes:
    """A zip of the given files, in name order, every entry dated 1 January 1980: the same files
    give the same bytes."""
    return _zip(sorted(files.items()))


def zip_in_order(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """As tender_zip, with the entries in the order given: each file is compressed as it comes and
    none is kept, so a generator of a thousand annexes never sits in memory at once."""
    return _zip(entries)


def tender_package(
    lots: Sequence[TenderLot], communes: Sequence[CommuneColumn], *, edited_on: date | None = None
) -> bytes:
    """The whole tender file as one zip: every lot in one workbook, then per lot its DQE, BPU and
    recap, then each commune's annex. Each workbook is compressed as soon as it is written; the
    entries come in a fixed order with fixed dates, so the same data give the same zip entries."""

    def entries():
        yield "dqe-tous-les-lots.xlsx", all_lots_workbook(lots)
        for lot in lots:
            folder = f"lot-{lot.number:02d}"
            yield f"{folder}/dqe-lot-{lot.number:02d}.xlsx", dqe_workbook(lot)
            yield f"{folder}/bpu-lot-{lot.number:02d}.xlsx", bpu_workbook(lot)
            yield f"{folder}/recapitulatif-lot-{lot.number:02d}.xlsx", recap_workbook(lot, communes)
        annexes = AnnexLots(lots)  # what every annex shares, prepared once
        for commune in communes:
            name = f"annexes-communes/annexe-{_slug(commune.insee)}-{_slug(commune.name)}.xlsx"
            yield name, annexes.workbook(commune, edited_on)

    return _zip(entries())


def _zip(entries: Iterable[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    seen: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            _check_entry_name(name)
            if name in seen:
                raise ValueError(f"fichier « {name} » en double dans le zip")
            seen.add(name)
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever the server: same bytes everywhere
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "sans-nom"


def _check_entry_name(name: str) -> None:
    parts = name.split("/")
    if not name or name.startswith("/") or "\\" in name or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"nom de fichier invalide dans le zip : « {name} »")


__all__ = [
    "tender_package",
    "tender_zip",
    "zip_in_order",
]
