"""The quick measure of plainly written sheets (core/files/xlsx_plain_sheet.py) finds what the expat
handlers find, and leaves every unusual sheet to them."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
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


def xlsxwriter_book() -> bytes:
    """Shared strings and one formula per row, as XlsxWriter (and Excel) write them."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Besoins")
    sheet.write_row(0, 0, ["Référence", "Quantité", "Commentaire"])
    for n in range(30):
        sheet.write_row(n + 1, 0, [f"REF-{n % 7}", n, "texte partagé"])
        sheet.write_formula(n + 1, 4, f"=B{n + 2}*2", None, n * 2)
    book.close()
    return buffer.getvalue()


def quick_measure_taken(content: bytes, monkeypatch) -> list:
    """What the quick measure answered for each sheet while check_xlsx ran."""
    answers = []

    def measuring(*args):
        answers.append(measure_plain_sheet(*args))
        return answers[-1]

    monkeypatch.setattr(xlsx_guard, "measure_plain_sheet", measuring)
    xlsx_guard.check_xlsx(content, NEEDS_XLSX)
    return answers


def test_a_sheet_of_shared_strings_is_measured_quickly_as_the_handlers_measure_it(monkeypatch):
    content = xlsxwriter_book()
    assert all(answer is not None for answer in quick_measure_taken(content, monkeypatch))
    quick, handlers = both_ways(content, monkeypatch)
    assert [(s.rows, s.columns, s.cells, s.formulas) for s in quick] == [
        (s.rows, s.columns, s.cells, s.formulas) for s in handlers
    ]
    assert len(quick[0].formulas) == 30


@pytest.mark.parametrize(
    "cell",
    [
        b'<c r="B20" t="s"><v>0</v><v>1</v></c>',  # the handlers read the index « 01 »
        b'<c r="B20" t="s"><v> 0</v></c>',  # the handlers strip it
        b"<c r='B20' t='s'><v>0</v></c>",
        b'<c r="B20" t="&#115;"><v>0</v></c>',
    ],
    ids=["two-values", "spaced-index", "single-quotes", "entity-type"],
)
def test_a_shared_string_cell_written_otherwise_is_left_to_the_handlers(cell):
    content = with_cells(xlsxwriter_book(), b'<row r="40">' + cell + b"</row>")
    strings = zipfile.ZipFile(io.BytesIO(content)).read("xl/sharedStrings.xml").count(b"<si>")
    assert measure_plain_sheet(sheet_xml(content), NEEDS_XLSX, [10] * strings, 0, 0) is None


def test_without_shared_strings_a_shared_type_changes_nothing_and_stays_quick(monkeypatch):
    """The handlers skip an index no shared string answers: the quick measure needs no more."""
    content = with_cells(export(3), b'<row r="40"><c r="B40" t="s"><v>7</v></c></row>')
    assert all(answer is not None for answer in quick_measure_taken(content, monkeypatch))
    quick, handlers = both_ways(content, monkeypatch)
    assert [(s.rows, s.cells) for s in quick] == [(s.rows, s.cells) for s in handlers] == [(40, quick[0].cells)]


def test_every_character_of_text_is_counted_even_behind_a_child_element(monkeypatch):
    """A text after a child of <v> (which no regular expression of <v>…</v> sees) is counted by the
    pass of expat: never less than the handlers' count."""
    hidden = b"x" * 5_000
    content = with_cells(export(3), b'<row r="40"><c r="B40"><v><x/>' + hidden + b"</v></c></row>")
    plain = measure_plain_sheet(sheet_xml(content), NEEDS_XLSX, [], 0, 0)
    assert plain is not None and plain.text >= len(hidden)
    with pytest.raises(UploadRefused, match="caractères de texte"):
        xlsx_guard.check_xlsx(content, replace(NEEDS_XLSX, max_text_chars=len(hidden)))


def test_a_long_text_between_two_tags_is_left_to_the_handlers():
    half = NEEDS_XLSX.max_string_chars // 2
    xml = sheet_xml(with_cells(export(3), b'<row r="40"><c r="B40"><v>' + b"9" * (half + 1) + b"</v></c></row>"))
    assert measure_plain_sheet(xml, NEEDS_XLSX, [], 0, 0) is None
    xml = sheet_xml(with_cells(export(3), b'<row r="40"><c r="B40"><v>' + b"9" * half + b"</v></c></row>"))
    assert measure_plain_sheet(xml, NEEDS_XLSX, [], 0, 0) is not None


@pytest.mark.parametrize(
    "cells",
    [
        b'<c r="C40"><f t="shared" ref="C40:C41" si="0">A1</f><v>1</v></c><c r="C41"><f t="shared" si="0"/></c>',
        b'<c r="C40"/><f>1</f><c r="D40"><v>1</v><f>A1</f></c>',  # after a closed cell; after the value
        b'<c r="C40"><v>1</v></c><formula1>x</formula1>',
    ],
    ids=["shared-formulas", "not-first", "not-a-formula"],
)
def test_formulas_written_otherwise_are_found_where_the_handlers_find_them(cells, monkeypatch):
    content = with_cells(export(3), b'<row r="40">' + cells + b"</row>")
    quick, handlers = both_ways(content, monkeypatch)
    assert quick[0].formulas == handlers[0].formulas


def test_a_sheet_in_utf16_is_refused_as_damaged():
    content = rewritten(export(3), SHEET, lambda xml: xml.decode("utf-8").encode("utf-16"))
    assert measure_plain_sheet(sheet_xml(content), NEEDS_XLSX, [], 0, 0) is None
    with pytest.raises(UploadRefused, match="endommagé"):
        xlsx_guard.check_xlsx(content, NEEDS_XLSX)
