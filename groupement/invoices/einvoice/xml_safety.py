"""XML read safely, before any reader sees it.

Parsed by lxml with ``resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False``,
and ANY document type declaration is refused, before parsing (a byte scan, also of UTF-16 text)
and after (the parsed document's docinfo): invoices never need a DTD, and XXE or "billion laughs"
need one. Size limits: MAX_XML_BYTES for the XML (also the one embedded in a PDF), MAX_FILE_BYTES
(the package's) for any file, MAX_XML_ELEMENTS elements, MAX_LINES lines (common). lxml was
chosen over defusedxml because it is already a declared dependency and the parser options above
cover what defusedxml guards against; the DOCTYPE refusal is stricter than defusedxml's default.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

from groupement.core.formatting import number
from groupement.invoices.einvoice.common import refused, too_large

MAX_XML_BYTES = 5 * 1024 * 1024
MAX_XML_ELEMENTS = 250_000

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")

_DTD_REFUSED = (
    "XML refusé : il contient une déclaration de type de document (DOCTYPE ou ENTITY), jamais "
    "nécessaire dans une facture et interdite pour des raisons de sécurité"
)


def looks_like_xml(content: bytes) -> bool:
    head = content[:200]
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[2:].decode(encoding, errors="ignore").lstrip().startswith("<")
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


def safe_root(content: bytes, file_name: str) -> etree._Element:
    """The root of `content`, or InvoiceRefused: too large, a DTD, malformed, too many elements."""
    if len(content) > MAX_XML_BYTES:
        raise refused(file_name, too_large(len(content), MAX_XML_BYTES))
    if _DOCTYPE.search(content) or _DOCTYPE.search(content.replace(b"\x00", b"")):
        raise refused(file_name, _DTD_REFUSED)
    if reason := _bad_encoding(content):
        raise refused(file_name, reason)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as error:
        if "encoding" in (error.msg or "").lower() or "labelled" in (error.msg or "").lower():
            raise refused(
                file_name, f"XML illisible : son encodage ne correspond pas à sa déclaration ({error.msg})"
            ) from None
        where = f" (ligne {error.lineno})" if error.lineno else ""
        raise refused(file_name, f"XML mal formé{where} : {error.msg}") from None
    except (ValueError, etree.LxmlError):
        raise refused(file_name, "XML illisible") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise refused(file_name, _DTD_REFUSED)
    for count, _ in enumerate(root.iter(), 1):
        if count > MAX_XML_ELEMENTS:
            raise refused(file_name, f"XML trop volumineux (plus de {number(MAX_XML_ELEMENTS)} éléments)")
    return root


def _bad_encoding(content: bytes) -> str | None:
    """Why the XML declaration's encoding attribute cannot be right (unknown name, or bytes that
    are not in it), in French; None when it is fine or absent."""
    found = _DECLARED_ENCODING.match(content[:300])
    if found is None:
        return None
    name = found.group(1).decode("ascii", errors="replace").strip()
    try:
        codec = codecs.lookup(name)
    except LookupError:
        return (
            f"XML illisible : l'encodage déclaré « {name[:40]} » (attribut encoding de la déclaration XML) est inconnu"
        )
    if codec.name.startswith("utf-16") or codec.name.startswith("utf-32"):
        return (
            f"XML illisible : l'encodage déclaré « {name[:40]} » ne correspond pas au contenu, écrit sur un octet "
            "par caractère (attribut encoding de la déclaration XML)"
        )
    if codec.name == "utf-8":
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as error:
            return (
                f"XML illisible : il se déclare en « {name[:40]} » mais l'octet {error.start + 1} n'est pas de "
                "l'UTF-8 (attribut encoding de la déclaration XML à corriger)"
            )
    return None
