"""Factur-X: the CII XML embedded in a PDF, extracted with the factur-x library
(``get_xml_from_pdf``, without its XSD check: the form is ours to judge, leniently); the XML is
then read as CII, with the limits of xml_safety (MAX_XML_BYTES applies to the embedded XML too).
"""

from __future__ import annotations

from groupement.invoices.einvoice.common import refused


def embedded_xml(content: bytes, file_name: str) -> tuple[bytes, str]:
    """The CII XML embedded in a Factur-X PDF, and the name to give it in refusals."""
    from facturx import get_xml_from_pdf  # imported here: pypdf is slow to import

    try:
        xml_name, xml_bytes = get_xml_from_pdf(content, check_xsd=False)
    except Exception:  # pypdf raises many kinds on a damaged file
        raise refused(file_name, "PDF endommagé ou illisible") from None
    if not xml_bytes:
        raise refused(
            file_name,
            "ce PDF ne contient pas de facture électronique (aucun XML Factur-X embarqué) : demandez au "
            "fournisseur sa facture au format Factur-X, UBL ou CII, ou déposez-la via Chorus Pro",
        )
    return xml_bytes, f"{file_name} (XML embarqué « {xml_name} »)"
