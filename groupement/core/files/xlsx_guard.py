"""An uploaded .xlsx measured before any spreadsheet library reads it (python-calamine builds a
dense grid from the first to the last cell it is told of; openpyxl pads every row to its widest).

The archive is opened with zipfile, but each part is inflated here from its raw bytes, in
chunks, counting what really comes out (a part may lie about its size in the zip directory) and
checking its CRC. Every XML part is then parsed as a stream by expat (events only, no tree; a
DTD or an entity declaration is refused, and only UTF-8 is read), so the check itself uses a few
megabytes whatever the file (expat was chosen over lxml's pull parser: three to five times faster
with Python handlers, 0,7 s of CPU for the largest needs file). In a worksheet every `<dimension ref>`,
`<row r>`, `<c r>` and `<mergeCell ref>` is read as a number whatever its spelling (zero padding,
a '+', lower-case letters, a '$'; a missing r is the next row or cell, as spreadsheets read it):
the extent, the number of cells, the length of every string and the text the grid would hold
(a shared string counts once per cell that uses it) are bounded by the limits of the kind of file
(upload_guard.SpreadsheetLimits), within a budget of CPU time.

The answer is the shape of the workbook (its sheets, their parts and extents, the cells holding
a formula) or UploadRefused with a French reason that names the sheet or the part.
"""

from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from xml.parsers import expat

from groupement.core.files.upload_guard import (
    CORRUPT_XLSX,
    MAX_UPLOAD_BYTES,
    SpreadsheetLimits,
    UploadRefused,
    megabytes,
    not_a_zip,
    zip_kind,
)
from groupement.core.files.xlsx_parts import (
    SHARED_STRINGS_TYPE,
    WORKSHEET_TYPE,
    SheetShape,
    _Part,
    _Relations,
    _SharedStrings,
    _Workbook,
    _Worksheet,
)
from groupement.core.files.xlsx_plain_sheet import PLAIN_SHEET_BYTES, measure_plain_sheet
from groupement.core.formatting import number

__all__ = ["SheetShape", "UploadRefused", "WorkbookShape", "check_xlsx"]

CHUNK = 64 * 1024
PROTECTED = (
    "classeur protégé par un mot de passe : enregistrez-le au format « Classeur Excel (.xlsx) » sans mot de passe"
)


@dataclass
class WorkbookShape:
    sheets: list[SheetShape]

    def sheet(self, title: str) -> SheetShape:
        """The sheet titled `title`, else the first one (as the readers pick it)."""
        return next((sheet for sheet in self.sheets if sheet.name == title), self.sheets[0])


def check_xlsx(content: bytes, limits: SpreadsheetLimits, max_bytes: int = MAX_UPLOAD_BYTES) -> WorkbookShape:
    """The shape of the workbook in `content` when it stays within `limits`; UploadRefused otherwise."""
    if len(content) > max_bytes:
        raise UploadRefused(f"fichier trop volumineux ({megabytes(len(content))} ; {megabytes(max_bytes)} au plus)")
    if not content.strip():
        raise UploadRefused("le fichier est vide")
    if not content.startswith(b"PK"):
        raise UploadRefused(not_a_zip(content))
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError):
        raise UploadRefused(CORRUPT_XLSX) from None
    return _Check(content, archive, infos, limits).run()


class _Check:
    def __init__(self, content: bytes, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits):
        self.content = memoryview(content)
        self.archive = archive
        self.infos = {info.filename: info for info in infos}
        self.order = infos
        self.limits = limits
        self.deadline = time.thread_time() + limits.seconds  # CPU time: a busy server is no reason
        self.cells = 0
        self.text = 0  # characters the grid would hold
        self.shared: list[int] = []  # length of each shared string
        self.parsed: set[str] = set()

    # --- the archive --------------------------------------------------------------------------

    def run(self) -> WorkbookShape:
        limits = self.limits
        if len(self.infos) != len(self.order):
            raise UploadRefused(CORRUPT_XLSX)  # two members of the same name: readers disagree on which
        if len(self.order) > limits.max_parts:
            raise UploadRefused(f"archive de {number(len(self.order))} éléments ; au plus {number(limits.max_parts)}")
        if sum(info.file_size for info in self.order) > limits.max_total_bytes:
            raise UploadRefused(f"contenu décompressé trop volumineux : ce fichier n'est pas {limits.kind}")
        names = set(self.infos)
        if "xl/workbook.xml" not in names:
            raise UploadRefused(zip_kind(self.archive, names))
        for info in self.order:
            if info.flag_bits & 0x1:
                raise UploadRefused(PROTECTED)
            if info.file_size > self._part_limit(info.filename):
                raise UploadRefused(self._too_large(info.filename))
        sheets, shared = self._workbook()
        if len(sheets) > limits.max_sheets:
            raise UploadRefused(
                f"le classeur compte {number(len(sheets))} feuilles ; au plus {number(limits.max_sheets)} sont admises"
            )
        if not sheets:
            raise UploadRefused(CORRUPT_XLSX)
        for part in (*shared, *[name for name in self.infos if name.rsplit("/", 1)[-1] == "sharedStrings.xml"]):
            if part in self.infos and part not in self.parsed and not self.shared:
                self._parse(part, _SharedStrings(self, part))
        for sheet in sheets:
            if sheet.part not in self.infos:
                raise UploadRefused(CORRUPT_XLSX)
            self._sheet(sheet)
        for name in self.infos:  # every other part: its real size and CRC, and well-formed if XML
            if name not in self.parsed and not name.endswith("/"):
                if name.lower().endswith((".xml", ".rels", ".vml")):
                    self._parse(name, _Part(self, name))
                else:
                    for _ in self._inflate(name):
                        pass
        return WorkbookShape(sheets)

    def _part_limit(self, name: str) -> int:
        if name.startswith("xl/worksheets/") or name.endswith("sharedStrings.xml"):
            return self.limits.max_sheet_bytes
        return self.limits.max_other_part_bytes

    def _too_large(self, name: str) -> str:
        return (
            f"la partie « {name[:80]} » du classeur dépasse {megabytes(self._part_limit(name))} une fois décompressée :"
            f" ce fichier n'est pas {self.limits.kind}"
        )

    def _inflate(self, name: str) -> Iterator[bytes]:
        """The bytes of a part, inflated from the raw member: at most its limit, its CRC checked."""
        info = self.infos[name]
        offset = info.header_offset
        header = bytes(self.content[offset : offset + 30])
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            raise UploadRefused(CORRUPT_XLSX)
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        start = offset + 30 + name_length + extra_length
        raw = self.content[start : start + info.compress_size]
        if len(raw) < info.compress_size:
            raise UploadRefused(CORRUPT_XLSX)
        limit = self._part_limit(name)
        produced, crc = 0, 0
        if info.compress_type == zipfile.ZIP_STORED:
            pieces: Iterator[bytes] = (bytes(raw[i : i + CHUNK]) for i in range(0, len(raw), CHUNK))
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            pieces = self._deflated(raw)
        else:
            raise UploadRefused(CORRUPT_XLSX)  # spreadsheets store or deflate, nothing else
        for piece in pieces:
            produced += len(piece)
            if produced > limit:
                raise UploadRefused(self._too_large(name))
            crc = zlib.crc32(piece, crc)
            self._on_time()
            yield piece
        if produced != info.file_size or crc != info.CRC:
            raise UploadRefused(CORRUPT_XLSX)

    @staticmethod
    def _deflated(raw: memoryview) -> Iterator[bytes]:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            for i in range(0, len(raw), CHUNK):
                data = bytes(raw[i : i + CHUNK])
                while data and not inflater.eof:
                    yield inflater.decompress(data, CHUNK)
                    data = inflater.unconsumed_tail
                if inflater.eof:
                    break
            if not inflater.eof:
                yield inflater.flush()
        except zlib.error:
            raise UploadRefused(CORRUPT_XLSX) from None
        if not inflater.eof:
            raise UploadRefused(CORRUPT_XLSX)

    def _on_time(self) -> None:
        if time.thread_time() > self.deadline:
            raise UploadRefused(
                f"lecture du classeur trop longue (plus de {number(self.limits.seconds)} s) : "
                "partez du fichier téléchargé depuis l'application"
            )

    # --- XML, streamed --------------------------------------------------------------------------

    def _sheet(self, sheet: SheetShape) -> None:
        """A plain sheet of a few megabytes is measured by xlsx_plain_sheet (whose one pass of
        expat, without element handlers, also checks it well-formed); any other by the handlers,
        streamed."""
        if self.infos[sheet.part].file_size > PLAIN_SHEET_BYTES:
            self._parse(sheet.part, _Worksheet(self, sheet))
            return
        xml = b"".join(self._inflate(sheet.part))
        plain = measure_plain_sheet(xml, self.limits, self.shared, self.cells, self.text)
        if plain is None:
            self._parse(sheet.part, _Worksheet(self, sheet), pieces=[xml])
            return
        self.parsed.add(sheet.part)
        sheet.rows, sheet.columns, sheet.cells = plain.rows, plain.columns, plain.cells
        sheet.formulas |= plain.formulas
        self.cells += plain.cells
        self.text += plain.text

    def _parse(self, name: str, reader: _Part | None, pieces: list[bytes] | None = None) -> None:
        """Feed the part to expat; `reader` sees each start, end and piece of text, keeps no tree
        (None: the part is only checked well-formed, without a DTD)."""
        parser = expat.ParserCreate()
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

        def dtd(*_) -> None:
            raise UploadRefused(f"déclaration DTD refusée dans la partie « {name[:80]} » du classeur")

        parser.StartDoctypeDeclHandler = dtd
        parser.EntityDeclHandler = dtd
        parser.ExternalEntityRefHandler = dtd
        if reader is not None:
            parser.StartElementHandler = reader.start
            parser.EndElementHandler = reader.end
            parser.CharacterDataHandler = reader.data
            parser.buffer_text = True
        self.parsed.add(name)
        first = True
        try:
            for piece in self._inflate(name) if pieces is None else pieces:
                if first:
                    head = piece.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
                    if head not in (b"<", b""):  # UTF-16 or anything but UTF-8: not what spreadsheets write
                        raise UploadRefused(CORRUPT_XLSX)
                    first = not head
                parser.Parse(piece, False)
            parser.Parse(b"", True)
        except expat.ExpatError:
            raise UploadRefused(CORRUPT_XLSX) from None

    def long_string(self, where: str) -> UploadRefused:
        return UploadRefused(
            f"{where} : un texte de plus de {number(self.limits.max_string_chars)} caractères "
            "(la limite d'une cellule d'Excel)"
        )

    def add_text(self, length: int, where: str) -> None:
        if length > self.limits.max_string_chars:
            raise self.long_string(where)
        self.text += length
        if self.text > self.limits.max_text_chars:
            raise UploadRefused(
                f"le classeur contient plus de {number(self.limits.max_text_chars)} caractères de texte ; "
                f"ce fichier n'est pas {self.limits.kind}"
            )

    def add_cell(self) -> None:
        self.cells += 1
        if self.cells > self.limits.max_cells:
            raise UploadRefused(
                f"le classeur compte plus de {number(self.limits.max_cells)} cellules ; "
                f"ce fichier n'est pas {self.limits.kind}"
            )

    # --- the workbook's sheets ------------------------------------------------------------------

    def _workbook(self) -> tuple[list[SheetShape], list[str]]:
        """The sheets in their order with their parts, and the shared strings parts."""
        book = _Workbook(self, "xl/workbook.xml")
        self._parse("xl/workbook.xml", book)
        relations = _Relations(self, "xl/_rels/workbook.xml.rels")
        if relations.name in self.infos:
            self._parse(relations.name, relations)
        shapes = []
        for name, relation in book.sheets:
            path, kind = relations.targets.get(relation, ("", ""))
            if kind.endswith(WORKSHEET_TYPE):
                shapes.append(SheetShape(name, path))
            elif not kind:
                raise UploadRefused(CORRUPT_XLSX)
        shared = [path for path, kind in relations.targets.values() if kind.endswith(SHARED_STRINGS_TYPE)]
        return shapes, shared
