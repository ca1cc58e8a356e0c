"""Hostile uploads, built from the real files they imitate: the needs export with one cell added,
a DQE, the invoice template, CSV texts. Each is small on the wire and would cost a reader gigabytes
or minutes if it were trusted (issue 13, item 1). Shared by tests/unit/test_crafted_uploads.py
and the HTTP tests; `python -m tests.crafted_files DIR` writes them to DIR (for a check by hand
against a running server)."""

from __future__ import annotations

import functools
import io
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from groupement.campaigns.needs_sheet import NeedsSheetRow
from groupement.campaigns.needs_xlsx_writer import write_needs_workbook

SHEET = "xl/worksheets/sheet1.xml"
MEGABYTE = 1024 * 1024


def needs_export(lines: int = 3) -> bytes:
    rows = [
        NeedsSheetRow(f"INF-{i:05d}", f"Article {i}", "Informatique", "unité", Decimal("12.50"), None, i, "")
        for i in range(lines)
    ]
    return write_needs_workbook("Recensement 2027", "Crachier", "28/11/2026 à 23:59 (heure de Paris)", "", rows)


INVOICE_COLUMNS = [
    "numero_facture",
    "date_facture",
    "fournisseur_siret",
    "numero_commande",
    "code_insee",
    "ref_article",
    "designation",
    "quantite",
    "prix_unitaire_ht",
    "taux_tva",
]


def invoice_template(lines: int = 1) -> bytes:
    """The invoice template filled in with `lines` lines (5 000 is the most an invoice may have)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Facture")
    sheet.append(INVOICE_COLUMNS)
    for line in range(lines):
        sheet.append(
            ["FA-2027-001", "15/03/2027", "12345678200077", "BC-38053-2027-0001", "38053", f"PC-{line:04d}"]
            + [f"Portable {line}", 3, 712.5, 20]
        )
    return _saved(workbook)


def offer_workbook() -> bytes:
    workbook = Workbook()
    workbook.active.title = "DQE lot 1"
    workbook.active.append(["Clé", "Désignation", "Prix unitaire HT"])
    return _saved(workbook)


def _saved(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewritten(content: bytes, part: str, rewrite: Callable[[bytes], bytes]) -> bytes:
    """The archive with one part passed through `rewrite` (or added, when absent)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        names = source.namelist()
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, rewrite(data) if info.filename == part else data)
        if part not in names:
            target.writestr(part, rewrite(b""))
    return buffer.getvalue()


def with_cells(content: bytes, xml: bytes, part: str = SHEET) -> bytes:
    """`xml` (rows) appended at the end of the sheet's data."""
    return rewritten(content, part, lambda data: data.replace(b"</sheetData>", xml + b"</sheetData>", 1))


def with_dimension(content: bytes, reference: bytes, part: str = SHEET) -> bytes:
    def rewrite(data: bytes) -> bytes:
        start = data.find(b"<dimension ")
        if start < 0:
            return data.replace(b"<sheetData", b'<dimension ref="' + reference + b'"/><sheetData', 1)
        end = data.index(b"/>", start) + 2
        return data[:start] + b'<dimension ref="' + reference + b'"/>' + data[end:]

    return rewritten(content, part, rewrite)


def with_shared_string(content: bytes, characters: int, used_by: int = 1) -> bytes:
    """A shared string of `characters` characters, put in `used_by` cells of new rows."""
    text = b"x" * characters

    def strings(data: bytes) -> bytes:
        if not data:
            return (
                b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                b'spreadsheetml/2006/main"><si><t>' + text + b"</t></si></sst>"
            )
        # the new string goes first: every existing index moves by one, which does not matter here
        return data.replace(b"<si>", b"<si><t>" + text + b"</t></si><si>", 1)

    per_row = 100  # cells without a reference: columns A to CV of rows 100, 101...
    rows = [
        b'<row r="%d">' % (100 + start // per_row)
        + b'<c t="s"><v>0</v></c>' * min(per_row, used_by - start)
        + b"</row>"
        for start in range(0, used_by, per_row)
    ]
    content = rewritten(content, "xl/sharedStrings.xml", strings)
    return with_cells(content, b"".join(rows))


def many_sheets(content: bytes, count: int) -> bytes:
    """The workbook listing `count` sheets, all of them its first sheet's part."""

    def rewrite(data: bytes) -> bytes:
        start, end = data.index(b"<sheets>"), data.index(b"</sheets>")
        relation = data[data.index(b'r:id="', start) + 6 :]
        relation = relation[: relation.index(b'"')]
        sheets = b"".join(b'<sheet name="F%d" sheetId="%d" r:id="%s"/>' % (i, i + 1, relation) for i in range(count))
        return data[:start] + b"<sheets>" + sheets + data[end:]

    return rewritten(content, "xl/workbook.xml", rewrite)


def deflated(size: int) -> tuple[bytes, int]:
    """`size` bytes of spaces deflated, and their CRC. After a full flush the compressor forgets
    what came before, so the block of one megabyte is the same every time: computed once."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    chunk = b" " * MEGABYTE
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size // MEGABYTE):
        crc = zlib.crc32(chunk, crc)
    return block * (size // MEGABYTE) + compressor.flush(), crc


def zip_with_raw_part(base: bytes, name: str, raw: bytes, crc: int, declared_size: int) -> bytes:
    """`base` with one more member whose deflated bytes are `raw`, declaring `declared_size`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
    entries = buffer.getvalue()
    directory_start = struct.unpack("<I", entries[-6:-2])[0]
    files, directory = entries[:directory_start], entries[directory_start:-22]
    count = struct.unpack("<H", entries[-12:-10])[0]
    encoded = name.encode()
    offset = len(files)
    local = (
        struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(raw), declared_size, len(encoded), 0)
        + encoded
    )
    central = (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0x21,
            crc,
            len(raw),
            declared_size,
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        + encoded
    )
    body = files + local + raw
    directory += central
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count + 1, count + 1, len(directory), len(body), 0)
    return body + directory + end


def many_styles(data: bytes) -> bytes:
    """450 000 cell formats (Excel stops at 64 000): 8 Ko zipped, each an object for openpyxl."""
    start, end = data.index(b"<cellXfs"), data.index(b"</cellXfs>") + len(b"</cellXfs>")
    return data[:start] + b'<cellXfs count="450000">' + b"<xf/>" * 450_000 + b"</cellXfs>" + data[end:]


def csv_text(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


INVOICE_HEADER = "numero_facture;date_facture;fournisseur_siret;designation;quantite;prix_unitaire_ht"


ENTITIES = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'


@functools.cache
def crafted() -> dict[str, tuple[str, bytes]]:
    """Every crafted file by name: (the reader it is meant for, its bytes)."""
    needs = needs_export()
    two_gigabytes, crc = deflated(2048 * MEGABYTE)
    files = {
        # the file: the agent's own export, one cell written with zero-padded references
        "besoins-XFD01048576-zeros.xlsx": with_cells(
            needs, b'<row r="01048576"><c r="XFD01048576" t="inlineStr"><is><t>x</t></is></c></row>'
        ),
        "besoins-A01048576.xlsx": with_cells(needs, b'<row r="01048576"><c r="A01048576"><v>1</v></c></row>'),
        "besoins-row-plus-1048576.xlsx": with_cells(needs, b'<row r="+1048576"><c><v>1</v></c></row>'),
        "besoins-minuscules-xfd1048576.xlsx": with_cells(
            needs, b'<row r="1048576"><c r="xfd1048576"><v>1</v></c></row>'
        ),
        "besoins-dollars-$XFD$1.xlsx": with_cells(needs, b'<row r="30"><c r="$XFD$30"><v>1</v></c></row>'),
        "besoins-dimension-A1-XFD1048576.xlsx": with_dimension(needs, b"A1:XFD1048576"),
        "besoins-fusion-A1-XFD1048576.xlsx": rewritten(
            needs,
            SHEET,
            lambda data: data.replace(
                b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>', 1
            ),
        ),
        "besoins-20000-cellules-sans-reference.xlsx": with_cells(
            needs, b'<row r="30">' + b"<c><v>1</v></c>" * 20_000 + b"</row>"
        ),
        "besoins-1-million-de-lignes-vides.xlsx": with_cells(needs, b"<row/>" * 1_048_576),
        "besoins-texte-partage-95-Mo.xlsx": with_shared_string(needs, 95 * MEGABYTE),
        "besoins-texte-partage-40-Mo.xlsx": with_shared_string(needs, 40 * MEGABYTE),
        "besoins-texte-en-ligne-95-Mo.xlsx": with_cells(
            needs, b'<row r="30"><c r="B30" t="inlineStr"><is><t>' + b"x" * (95 * MEGABYTE) + b"</t></is></c></row>"
        ),
        "besoins-texte-en-ligne-40-Mo.xlsx": with_cells(
            needs, b'<row r="30"><c r="B30" t="inlineStr"><is><t>' + b"x" * (40 * MEGABYTE) + b"</t></is></c></row>"
        ),
        "besoins-texte-de-32767-dans-100000-cellules.xlsx": with_shared_string(needs, 32_767, used_by=100_000),
        "besoins-partie-de-2-Go.xlsx": zip_with_raw_part(
            needs, "xl/media/image1.png", two_gigabytes, crc, 2048 * MEGABYTE
        ),
        "besoins-partie-de-2-Go-annoncee-1-Ko.xlsx": zip_with_raw_part(
            needs, "xl/worksheets/sheet1.xml.bak", two_gigabytes, crc, 1024
        ),
        "besoins-5000-feuilles.xlsx": many_sheets(needs, 5_000),
        "besoins-entites-en-cascade.xlsx": rewritten(
            needs,
            SHEET,
            lambda data: data.replace(
                b"<worksheet",
                ENTITIES + b"<worksheet",
                1,
            ).replace(
                b"</sheetData>", b'<row r="40"><c r="A40" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData>'
            ),
        ),
        "besoins-utf16.xlsx": rewritten(needs, SHEET, lambda data: data.decode("utf-8").encode("utf-16")),
        # the other readers
        "facture-5000-lignes-colonne-XFD.xlsx": with_cells(
            invoice_template(),
            b"".join(b'<row r="%d"><c r="XFD%d"><v>1</v></c></row>' % (row, row) for row in range(3, 5003)),
        ),
        "facture-dimension-minuscules.xlsx": with_dimension(invoice_template(), b"a1:xfd1048576"),
        "facture-450000-styles.xlsx": rewritten(invoice_template(), "xl/styles.xml", many_styles),
        "offre-XFD01048576-zeros.xlsx": with_cells(
            offer_workbook(), b'<row r="01048576"><c r="XFD01048576"><v>1</v></c></row>'
        ),
        "offre-dimension-A1-XFD1048576.xlsx": with_dimension(offer_workbook(), b"A1:XFD1048576"),
        # CSV
        # UTF-8 (the "É" of line 2) with one Windows-1252 byte (the "â" of line 3)
        "facture-un-octet-invalide.csv": csv_text(
            [INVOICE_HEADER, "F-1;2026-11-02;12345678200010;Écran;1;3,5", "F-1;2026-11-02;12345678200010;Câble;1;2"]
        ).replace("Câble".encode(), b"C\xe2ble"),
        "facture-5-millions-de-separateurs.csv": (INVOICE_HEADER + "\n" + ";" * 5_000_000 + "\n").encode(),
        "facture-champ-de-9-Mo.csv": (INVOICE_HEADER + "\nF-1;" + "x" * (9 * MEGABYTE) + "\n").encode(),
        "catalogue-1-million-de-lignes.csv": b"ref;designation\n" + b"a;b\n" * 1_000_000,
        "catalogue-champ-de-100000.csv": b"ref;designation\n" + b"a;" + b"x" * 100_000 + b"\n",
        "catalogue-utf16.csv": "ref;designation\nA;Crayon\n".encode("utf-16"),
    }
    return {name: (_reader_of(name), content) for name, content in files.items()}


def _reader_of(name: str) -> str:
    if name.startswith("besoins"):
        return "needs"
    if name.startswith("offre"):
        return "offer"
    if name.startswith("catalogue"):
        return "catalog"
    return "invoice"


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    for file_name, (_, data) in crafted().items():
        (folder / file_name).write_bytes(data)
        print(f"{file_name}: {len(data)} octets")
