"""Factur-X and ZUGFeRD PDFs: the XML attached to the PDF, found with pypdf (the library factur-x
itself uses), then read as CII (or ZUGFeRD 1.0, see zugferd1) with the limits of xml_safety
(MAX_XML_BYTES applies to the embedded XML too).

The attachment is taken by its name: factur-x.xml, zugferd-invoice.xml (ZUGFeRD 1.0 and 2.x),
ZUGFeRD-invoice.xml, xrechnung.xml, else any other .xml file attached. Its bytes are NOT parsed
here: an XML with a bad encoding declaration is reported as such by xml_safety, never as "no
XML" (the factur-x library skips such a file silently).
"""

from __future__ import annotations

from groupement.invoices.einvoice.common import refused

KNOWN_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")


def embedded_xml(content: bytes, file_name: str) -> tuple[bytes, str]:
    """The invoice XML attached to a Factur-X / ZUGFeRD PDF, and the name to give it in refusals."""
    from io import BytesIO

    from pypdf import PdfReader  # imported here: pypdf is slow to import

    try:
        attachments = [(item.name, item.content) for item in PdfReader(BytesIO(content)).attachment_list]
    except Exception:  # pypdf raises many kinds on a damaged file
        raise refused(file_name, "PDF endommagé ou illisible") from None
    xml_files = [(name or "", data) for name, data in attachments if (name or "").lower().endswith(".xml") and data]
    xml_files.sort(key=lambda item: (item[0].lower() not in KNOWN_NAMES, item[0].lower()))
    if not xml_files:
        raise refused(
            file_name,
            "ce PDF ne contient pas de facture électronique (aucun XML Factur-X embarqué) : demandez au "
            "fournisseur sa facture au format Factur-X, UBL ou CII, ou déposez-la via Chorus Pro",
        )
    xml_name, xml_bytes = xml_files[0]
    return xml_bytes, f"{file_name} (XML embarqué « {xml_name[:80]} »)"
