"""A batch of invoices as downloaded from Chorus Pro or a platform: a zip (web upload) or a folder
(CLI, packed into a zip so that both take one road). No database here: the archive is measured
from its central directory before any job starts (`check_archive`), then each member is read,
bounded, when the job imports it (`members`).

Zip safety, the ideas of core/files/xlsx_guard's budget: at most MAX_MEMBERS files, each at most
parse_invoice's own limit once inflated, MAX_TOTAL_BYTES together, a compression ratio at most
MAX_RATIO; a name with « .. », absolute (/, \\, C:) or with a NUL byte refuses the whole archive;
an encrypted member too. Inflation is streamed and stops at the limit whatever the sizes the
archive declares. A nested archive (a .zip inside, or any zip member that is not an .xlsx
workbook) is refused as one line of the report; folders and system files (__MACOSX/, .DS_Store,
Thumbs.db) are skipped."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from groupement.core.files.upload_guard import megabytes
from groupement.core.imports import ImportIssue
from groupement.invoices.einvoice import MAX_FILE_BYTES
from groupement.invoices.rules import InvoiceRefused

MAX_MEMBERS = 500
MAX_TOTAL_BYTES = 500 * 1024 * 1024  # inflated, all members together
MAX_RATIO = 200  # inflated / compressed, per member (invoices compress 3 to 20 times)
MAX_NAME_CHARS = 255
SKIPPED = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|desktop\.ini$)", re.IGNORECASE)
_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 64 * 1024


class BatchRefused(InvoiceRefused):
    """The whole archive refused before anything is imported (French reasons naming it)."""


@dataclass(frozen=True)
class Member:
    name: str  # the path inside the archive, as the report shows it
    content: bytes | None  # None when refused
    refusal: str = ""


def _refused(file_name: str, reason: str) -> BatchRefused:
    return BatchRefused([ImportIssue(file_name, None, None, reason)])


def _unsafe_name(name: str) -> str | None:
    if "\x00" in name:
        return "un nom de fichier contient un octet nul"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return f"chemin absolu « {name[:80]} » dans l'archive"
    if ".." in re.split(r"[/\\]", name):
        return f"chemin « {name[:80]} » qui remonte hors de l'archive (..)"
    return None


def _entries(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    return [info for info in archive.infolist() if not info.is_dir() and not SKIPPED.search(info.filename)]


def _open(content: bytes, file_name: str) -> zipfile.ZipFile:
    if not content.startswith(b"PK"):
        raise _refused(file_name, "ce fichier n'est pas une archive ZIP : déposez le .zip téléchargé depuis Chorus Pro")
    try:
        return zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise _refused(file_name, "archive ZIP endommagée ou illisible") from None


def check_archive(content: bytes, file_name: str) -> int:
    """The number of files the archive holds, once its directory is judged safe; BatchRefused
    (every reason, the archive named) otherwise."""
    with _open(content, file_name) as archive:
        entries = _entries(archive)
        reasons = []
        if not entries:
            reasons.append("l'archive ne contient aucun fichier")
        if len(entries) > MAX_MEMBERS:
            reasons.append(f"trop de fichiers dans l'archive ({len(entries)} ; {MAX_MEMBERS} au plus par lot)")
        total = sum(info.file_size for info in entries)
        if total > MAX_TOTAL_BYTES:
            reasons.append(
                f"archive trop volumineuse une fois décompressée ({megabytes(total)} ; "
                f"{megabytes(MAX_TOTAL_BYTES)} au plus)"
            )
        for info in archive.infolist():
            if reason := _unsafe_name(info.filename):
                reasons.append(reason)
            elif info.flag_bits & 0x1:
                reasons.append(
                    f"« {info.filename[:80]} » est chiffré (mot de passe) : déposez une archive sans mot de passe"
                )
        if reasons:
            raise BatchRefused([ImportIssue(file_name, None, None, r) for r in dict.fromkeys(reasons)][:20])
        return len(entries)


def members(content: bytes, file_name: str) -> Iterator[Member]:
    """Each file of an archive that check_archive accepted, inflated within its bounds (or refused
    with the reason, for its line of the report)."""
    with _open(content, file_name) as archive:
        total = 0
        for info in _entries(archive):
            name = info.filename[:MAX_NAME_CHARS]
            if name.casefold().endswith((".zip", ".7z", ".rar", ".tar", ".gz")):
                yield Member(name, None, "archive imbriquée refusée : déposez les factures elles-mêmes")
                continue
            if info.file_size > MAX_FILE_BYTES:
                yield Member(
                    name,
                    None,
                    f"fichier trop volumineux ({megabytes(info.file_size)} ; {megabytes(MAX_FILE_BYTES)} au plus)",
                )
                continue
            data, reason = _inflate(archive, info, MAX_TOTAL_BYTES - total)
            if data is None:
                yield Member(name, None, reason)
                continue
            total += len(data)
            if data.startswith(b"PK") and not _is_workbook(data):
                yield Member(name, None, "archive imbriquée refusée : déposez les factures elles-mêmes")
                continue
            yield Member(name, data)


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, room: int) -> tuple[bytes | None, str]:
    """The member's bytes, streamed: refused past its limit, the batch's room, or the ratio,
    whatever sizes the archive declares."""
    limit = min(MAX_FILE_BYTES, room)
    ratio_limit = max(info.compress_size, 1) * MAX_RATIO
    buffer = bytearray()
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                buffer += chunk
                if len(buffer) > limit:
                    return None, f"fichier trop volumineux une fois décompressé ({megabytes(limit)} au plus)"
                if len(buffer) > ratio_limit and len(buffer) > 1024 * 1024:
                    return None, f"taux de compression anormal (plus de {MAX_RATIO} fois) : bombe de décompression ?"
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        return None, "fichier endommagé dans l'archive (décompression impossible)"
    return bytes(buffer), ""


def _is_workbook(data: bytes) -> bool:
    """An .xlsx is a zip too: it is the invoice template, not a nested archive."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            names = set(inner.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return True  # not a readable zip: the invoice reader will say why
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def pack_folder(folder: Path) -> tuple[bytes, list[str]]:
    """A folder's invoice files (recursively, sorted, symbolic links and system files left out)
    packed into a zip, so that a folder goes the zip's road; and the names left out."""
    if not folder.is_dir():
        raise _refused(str(folder), "ce n'est pas un dossier")
    buffer = io.BytesIO()
    left_out: list[str] = []
    count = total = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            relative = PurePosixPath(path.relative_to(folder).as_posix())
            if path.is_symlink():
                left_out.append(f"{relative} (lien symbolique)")
                continue
            if not path.is_file() or SKIPPED.search(str(relative)):
                continue
            count += 1
            size = path.stat().st_size
            total += size
            if count > MAX_MEMBERS or total > MAX_TOTAL_BYTES:
                raise _refused(
                    str(folder),
                    f"trop de fichiers ou trop volumineux ({MAX_MEMBERS} fichiers et "
                    f"{megabytes(MAX_TOTAL_BYTES)} au plus par lot)",
                )
            if size > MAX_FILE_BYTES:
                left_out.append(f"{relative} (fichier trop volumineux : {megabytes(size)})")
                continue
            archive.write(path, str(relative))
    return buffer.getvalue(), left_out
