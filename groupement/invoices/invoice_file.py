"""The supplier's PDF of an invoice (Factur-X, ZUGFeRD), kept byte for byte at import
(importing.py, core/archive.py): the legal invoice, downloaded from the invoice page beside the
figures read from its XML. Always kept for a header-only profile (MINIMUM, BASIC WL), whose PDF
alone shows the lines."""

from __future__ import annotations

from groupement.core.access import Actor
from groupement.core.archive import ArchivedDocument, archived_documents
from groupement.core.errors import NotFound
from groupement.invoices import scope as invoice_scope
from groupement.invoices.models import Invoice

OBJECT_TYPE = "invoice"
KIND = "facture_pdf"


def kept_pdf(invoice: Invoice) -> ArchivedDocument | None:
    """The PDF kept with an invoice the caller has already reached through its scope."""
    found = [d for d in archived_documents(invoice.coordinator_id, OBJECT_TYPE, invoice.id) if d.kind == KIND]
    return found[0] if found else None


def invoice_pdf(actor: Actor, invoice_id: int) -> tuple[bytes, str]:
    """The PDF and its file name; NotFound outside the actor's scope or when the invoice came as XML."""
    invoice = invoice_scope.get_invoice(actor, invoice_id)
    document = kept_pdf(invoice)
    if document is None:
        raise NotFound("Cette facture n'a pas été reçue en PDF : seul son XML a été importé.")
    name = document.file_name if document.file_name.lower().endswith(".pdf") else f"facture-{invoice.id}.pdf"
    return document.content, name
