"""A small .xlsx that inflates to hundreds of megabytes is refused from the zip directory alone,
before any member is decompressed."""

from __future__ import annotations

import io
import zipfile

import pytest

from groupement.campaigns.needs_xlsx_reader import read_needs_rows
from groupement.core.files.upload_guard import MAX_UNCOMPRESSED_BYTES
from groupement.invoices.einvoice import parse_invoice
from groupement.invoices.rules import InvoiceRefused
from groupement.tenders.offer_xlsx import read_offer_workbook
from groupement.tenders.tender_data import TenderLot

SHEET_MEGABYTES = 200


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """An .xlsx whose sheet XML is 200 Mo of spaces: about 200 Ko once compressed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<?xml version='1.0'?><Types/>")
        archive.writestr("xl/workbook.xml", "<?xml version='1.0'?><workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b"<?xml version='1.0'?><worksheet><sheetData>")
            chunk = b" " * (1024 * 1024)
            for _ in range(SHEET_MEGABYTES):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


@pytest.fixture
def nothing_inflated(monkeypatch):
    """Opening any member of an archive fails the test: the refusal must come before."""

    def refuse(*args, **kwargs):
        raise AssertionError("un membre de l'archive a été décompressé")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)
    monkeypatch.setattr(zipfile.ZipFile, "read", refuse)


def test_the_bomb_is_small_on_disk_and_huge_inflated(bomb):
    assert len(bomb) < 1024 * 1024
    inflated = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(bomb)).infolist())
    assert inflated > MAX_UNCOMPRESSED_BYTES


def test_the_needs_reader_refuses_the_bomb_without_inflating_it(bomb, nothing_inflated):
    rows, issues = read_needs_rows(bomb, "besoins.xlsx")
    assert rows == []
    assert [issue.reason for issue in issues] == [
        "contenu décompressé trop volumineux : ce fichier n'est pas un export de l'application"
    ]


def test_the_offer_reader_refuses_the_bomb_without_inflating_it(bomb, nothing_inflated):
    lot = TenderLot(key="L1", number=1, title="Postes", groupement="CAPI", campaign="2026", lines=())
    offer = read_offer_workbook(bomb, "offre.xlsx", lot)
    assert offer.prices == {}
    assert len(offer.issues) == 1
    assert "contenu décompressé trop volumineux" in offer.issues[0].reason


def test_the_invoice_spreadsheet_reader_refuses_the_bomb_without_inflating_it(bomb, nothing_inflated):
    with pytest.raises(InvoiceRefused) as refused:
        parse_invoice(bomb, "facture.xlsx")
    assert any("contenu décompressé trop volumineux" in str(reason) for reason in refused.value.reasons)
