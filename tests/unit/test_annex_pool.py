"""The communes' annexes written by a pool of processes: the same bytes as in process, in the same
order, the same refusals, and no pool for a dossier too small to be worth one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from groupement.tenders import annex_xlsx
from groupement.tenders.annex_xlsx import AnnexLots, annex_workbooks, commune_annex_workbook
from groupement.tenders.tender_data import CommuneColumn, TenderLine, TenderLot

TODAY = date(2026, 11, 28)


def lots() -> list[TenderLot]:
    made = []
    for number in (1, 2):
        lines = tuple(
            TenderLine(
                f"L{number}-{index:04d}",
                index,
                f"REF-{number}-{index}",
                f"=Article {index} du lot {number}" if index == 1 else f"Article {index} du lot {number}",
                "unité",
                "30192000-1",
                40 * index,
                Decimal("20"),
                Decimal(index) + Decimal("0.1234"),
            )
            for index in range(1, 41)
        )
        made.append(TenderLot(str(number), number, f"Lot {number}", "CAPI", "Recensement 2027", lines))
    return made


def communes(count: int) -> list[CommuneColumn]:
    return [
        CommuneColumn(
            f"{38000 + index:05d}",
            f"Commune {index:02d}",
            {
                f"L{number}-{line:04d}": line + index
                for number in (1, 2)
                for line in range(1, 41)
                if line % 3 != index % 3
            },
        )
        for index in range(count)
    ]


def test_the_annexes_written_by_a_pool_of_processes_are_the_bytes_written_in_process(monkeypatch):
    monkeypatch.setattr(annex_xlsx, "POOL_MIN_CELLS", 0)
    columns = communes(12)
    pooled = annex_workbooks(columns, lots(), edited_on=TODAY, processes=2)
    assert type(pooled).__name__ == "_Pooled"
    seconds_before = annex_xlsx.pool_use.seconds
    written = list(pooled)
    assert written == [commune_annex_workbook(column, lots(), edited_on=TODAY) for column in columns]
    assert annex_xlsx.pool_use.seconds > seconds_before  # the processes' time is counted


def test_an_annex_refused_in_a_pool_process_is_refused_here_with_its_french_reason(monkeypatch):
    monkeypatch.setattr(annex_xlsx, "POOL_MIN_CELLS", 0)
    columns = communes(6)
    columns[4] = CommuneColumn("38999", "Commune fautive", {"L1-0002": -3})
    pooled = annex_workbooks(columns, lots(), edited_on=TODAY, processes=2)
    produced = iter(pooled)
    assert len([next(produced) for _ in range(4)]) == 4
    with pytest.raises(ValueError, match="quantité invalide \\(-3\\) pour la commune Commune fautive, lot n° 1"):
        next(produced)
    pooled.close()


def test_a_dossier_too_small_for_a_pool_is_written_in_process():
    columns = communes(3)
    annexes = annex_workbooks(columns, lots(), edited_on=TODAY, processes=4)
    assert type(annexes).__name__ == "_InProcess"
    assert list(annexes) == [AnnexLots(lots()).workbook(column, TODAY) for column in columns]
