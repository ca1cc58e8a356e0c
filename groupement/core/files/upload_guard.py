"""What every uploaded spreadsheet goes through before any parsing: size limits, the kind of
file it really is (an image, a PDF, an old .xls, an .ods renamed .xlsx), and the French words
that tell the user why it is refused. Shared by the needs, offer and invoice readers."""

from __future__ import annotations

import zipfile

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024  # a 10 Mo zip that inflates beyond this is a bomb


def megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{-(-size // 1024)} Ko"
    return f"{size / (1024 * 1024):.1f} Mo".replace(".", ",").replace(",0 Mo", " Mo")


CORRUPT_XLSX = (
    "fichier .xlsx endommagé ou illisible : rouvrez-le dans Excel, enregistrez-le au format "
    "« Classeur Excel (.xlsx) » et déposez-le à nouveau"
)

SIGNATURES = (
    (b"\x89PNG", "une image PNG"),
    (b"\xff\xd8\xff", "une image JPEG"),
    (b"GIF8", "une image GIF"),
    (b"BM", "une image BMP"),
    (b"II*\x00", "une image TIFF"),
    (b"MM\x00*", "une image TIFF"),
    (b"RIFF", "une image ou un média (RIFF)"),
    (b"%PDF", "un document PDF"),
)


def not_a_zip(content: bytes) -> str:
    """Why bytes that are not a zip archive are not an .xlsx, in words the agent understands."""
    for signature, kind in SIGNATURES:
        if content.startswith(signature):
            return f"ce fichier est {kind}, pas un classeur Excel .xlsx"
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        return (
            "ancien format Excel (.xls) ou classeur protégé par un mot de passe : enregistrez-le au format "
            "« Classeur Excel (.xlsx) » sans mot de passe"
        )
    head = content[:4096]
    if looks_like_text(head):
        if head.lstrip().startswith((b"<", b"\xef\xbb\xbf<")):
            return "ce fichier est une page web ou un fichier XML renommé en .xlsx, pas un classeur Excel"
        return (
            "ce fichier est un texte (CSV ?) renommé en .xlsx, pas un classeur Excel : ouvrez-le dans Excel "
            "puis enregistrez-le au format « Classeur Excel (.xlsx) »"
        )
    return "ce fichier n'est pas un classeur Excel .xlsx"


def looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "cp1252"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
        return printable >= 0.95 * len(text)
    return False


def zip_kind(archive: zipfile.ZipFile, names: set[str]) -> str:
    if "mimetype" in names:
        mimetype = archive.read("mimetype")[:100]
        if b"opendocument.spreadsheet" in mimetype:
            return (
                "classeur OpenDocument (.ods) : dans LibreOffice, enregistrez-le au format « Excel 2007-365 (.xlsx) »"
            )
    if "word/document.xml" in names:
        return "ce fichier est un document Word, pas un classeur Excel .xlsx"
    return "archive ZIP qui n'est pas un classeur Excel .xlsx"
