"""The quick measure of plainly written sheets (core/files/xlsx_plain_sheet.py) finds what the expat
handlers find, and leaves every unusual sheet to them."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook

from groupement.campaigns.needs_sheet import NeedsSheetRow
from groupement.campaigns.needs_xlsx_writer import write_needs_workbook
from groupement.core.files import xlsx_guard
from groupement.core.files.upload_guard import NEEDS_XLSX, UploadRefused
from groupement.core.files.xlsx_plain_sheet import measure_plain_sheet
from tests.crafted_files import SHEET, rewritten, with_cells


def export(lines: int = 50) -> bytes:
    rows = [
        NeedsSheetRow(f"INF-{n:04}", f"Article n° {n} & co <b>", "Informatique", "unité", Decimal("9.90"), n, n % 7, "")
        for n in range(lines)
    ]
    return write_needs_workbook("Recensement 2027", "Crachier", "28/11/2026", "Mode d'emploi.", rows)


def saved_by_openpyxl() -> bytes:
    """Shared strings (t="s"), a formula, numbers: as a spreadsheet saves them."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Besoins"
    sheet.append(["Référence", "Quantité", "Commentaire"])
    for n in range(40):
        sheet.append([f"REF-{n}", n, "même texte partagé"])
    sheet["E3"] = "=SUM(B2:B41)"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def both_ways(content: bytes, monkeypatch):
    """The sheet shapes found with the quick measure, then by the handlers alone."""
    quick = xlsx_guard.check_xlsx(content, NEEDS_XLSX).sheets
    with monkeypatch.context() as patched:
        patched.setattr(xlsx_guard, "measure_plain_sheet", lambda *args: None)
        handlers = xlsx_guard.check_xlsx(content, NEEDS_XLSX).sheets
    return quick, handlers


def sheet_xml(content: bytes) -> bytes:
    return zipfile.ZipFile(io.BytesIO(content)).read(SHEET)


@pytest.mark.parametrize("content", [export(), export(3), saved_by_openpyxl()], ids=["export", "small", "openpyxl"])
def test_a_plain_sheet_gets_the_extent_cells_and_formulas_the_handlers_find(content, monkeypatch):
    quick, handlers = both_ways(content, monkeypatch)
    shape = [(s.name, s.rows, s.columns, s.cells, s.formulas) for s in quick]
    assert shape == [(s.name, s.rows, s.columns, s.cells, s.formulas) for s in handlers]
    assert quick[0].cells > 0 and quick[0].formulas


def test_the_quick_measure_really_answers_for_the_application_export():
    xml = sheet_xml(export())
    assert measure_plain_sheet(xml, NEEDS_XLSX, [], 0, 0) is not None


def test_the_text_counted_is_never_less_than_the_handlers_count(monkeypatch):
    content = export()
    seen = {}
    real = xlsx_guard._Check.add_text

    def counting(self, length, where):
        seen["handlers"] = seen.get("handlers", 0) + length
        return real(self, length, where)

    monkeypatch.setattr(xlsx_guard._Check, "add_text", counting)
    monkeypatch.setattr(xlsx_guard, "measure_plain_sheet", lambda *args: None)
    xlsx_guard.check_xlsx(content, NEEDS_XLSX)
    plain = measure_plain_sheet(sheet_xml(content), NEEDS_XLSX, [], 0, 0)
    assert plain.text >= seen["handlers"]


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda xml: xml.replace(b"<sheetData>", b"<!-- note --><sheetData>"),
        lambda xml: xml.replace(b"<worksheet ", b"<x:worksheet xmlns:x='urn:x' ").replace(
            b"</worksheet>", b"</x:worksheet>"
        ),
        lambda xml: xml.replace(b'<c r="A1"', b'<c  r="A1"', 1),
        lambda xml: xml.replace(b'<c r="A1"', b'<c t="inlineStr" r="A1"', 1),
        lambda xml: xml.replace(b"<sheetData>", b"<sheetData><?pi x?>"),
    ],
    ids=["comment", "prefix", "two-spaces", "reference-not-first", "instruction"],
)
def test_an_unusual_sheet_is_left_to_the_handlers(rewrite):
    xml = rewrite(sheet_xml(export(3)))
    assert measure_plain_sheet(xml, NEEDS_XLSX, [], 0, 0) is None


def test_a_sheet_beyond_a_limit_is_refused_with_the_handlers_words():
    content = with_cells(export(3), b'<row r="9"><c r="CW9"><v>1</v></c></row>')
    with pytest.raises(UploadRefused, match="a une cellule en colonne CW"):
        xlsx_guard.check_xlsx(content, NEEDS_XLSX)


def test_a_plain_sheet_that_is_not_well_formed_is_still_refused():
    content = rewritten(export(3), SHEET, lambda xml: xml.replace(b"</sheetData>", b"</sheetDat>"))
    with pytest.raises(UploadRefused, match="endommagé"):
        xlsx_guard.check_xlsx(content, NEEDS_XLSX)
