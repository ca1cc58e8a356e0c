"""The EN 16931 document types (BT-3, UNTDID 1001), each with its kind and its sign. Pure.

The list is the one of the official CEN validation artefacts (EN16931-UBL-validation 1.3.16,
rule BR-CL-01; the CII artefacts accept their union): the codes of a UBL Invoice and those of a
UBL CreditNote. A code of the credit-note list is a credit note: its amounts, written positive
in the file, are stored negative (sign −1); 81 is in both lists and is by its name a credit note.
Every other code keeps its amounts as written (sign +1), 457 (contre-passation de débit) included,
which the artefacts place among the invoices.

Each code has a kind, what the rest of the application reads: facture (invoice), avoir (credit
note), facture rectificative (corrective), autofacture (self-billed, the buyer wrote it) or facture
d'acompte (prepayment, deducted later by the final invoice's BT-113 paid amount).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from groupement.invoices.states import InvoiceKind

INVOICE_CODES = frozenset(
    "71 80 81 82 84 102 130 202 203 204 211 218 219 295 325 326 331 380 382 383 384 385 386 387 388 389 390 "
    "393 394 395 456 457 471 472 473 500 501 527 553 575 623 633 751 780 817 870 875 876 877 935".split()
)
CREDIT_NOTE_CODES = frozenset("81 83 261 262 296 308 381 396 420 458 502 503 532".split())
ACCEPTED_CODES = INVOICE_CODES | CREDIT_NOTE_CODES


@dataclass(frozen=True)
class DocumentType:
    code: str
    label: str  # in French, lower case
    kind: InvoiceKind

    @property
    def sign(self) -> Decimal:
        """−1 for a credit note (stored negative), +1 otherwise."""
        return Decimal(-1) if self.kind is InvoiceKind.CREDIT_NOTE else Decimal(1)


_I, _C, _R, _S, _P = (
    InvoiceKind.INVOICE,
    InvoiceKind.CREDIT_NOTE,
    InvoiceKind.CORRECTIVE,
    InvoiceKind.SELF_BILLED,
    InvoiceKind.PREPAYMENT,
)
_TABLE = {
    "71": ("demande de paiement", _I),
    "80": ("note de débit (biens ou services)", _I),
    "81": ("avoir (biens ou services)", _C),
    "82": ("facture de services mesurés", _I),
    "83": ("avoir (ajustement financier)", _C),
    "84": ("note de débit (ajustement financier)", _I),
    "102": ("notification fiscale", _I),
    "130": ("fiche de données de facturation", _I),
    "202": ("situation de paiement direct", _I),
    "203": ("situation de paiement provisoire", _I),
    "204": ("situation de paiement", _I),
    "211": ("demande d'acompte intermédiaire", _I),
    "218": ("demande de paiement final après achèvement", _I),
    "219": ("demande de paiement des unités achevées", _I),
    "261": ("avoir autofacturé", _C),
    "262": ("avoir global (biens et services)", _C),
    "295": ("facture de variation de prix", _I),
    "296": ("avoir de variation de prix", _C),
    "308": ("avoir ducroire", _C),
    "325": ("facture pro forma", _I),
    "326": ("facture partielle", _I),
    "331": ("facture commerciale avec liste de colisage", _I),
    "380": ("facture", _I),
    "381": ("avoir", _C),
    "382": ("note de commission", _I),
    "383": ("note de débit", _I),
    "384": ("facture rectificative", _R),
    "385": ("facture récapitulative", _I),
    "386": ("facture d'acompte", _P),
    "387": ("facture de location", _I),
    "388": ("facture fiscale", _I),
    "389": ("autofacture", _S),
    "390": ("facture ducroire", _I),
    "393": ("facture affacturée", _I),
    "394": ("facture de crédit-bail", _I),
    "395": ("facture de consignation", _I),
    "396": ("avoir affacturé", _C),
    "420": ("avoir de paiement par lecture optique", _C),
    "456": ("avis de débit", _I),
    "457": ("contre-passation de débit", _I),
    "458": ("contre-passation de crédit", _C),
    "471": ("facture rectificative affacturée", _R),
    "472": ("autofacture rectificative", _R),
    "473": ("autofacture rectificative affacturée", _R),
    "500": ("autofacture d'acompte", _P),
    "501": ("autofacture affacturée", _S),
    "502": ("avoir autofacturé affacturé", _C),
    "503": ("avoir d'acompte", _C),
    "527": ("note de débit autofacturée", _S),
    "532": ("avoir de transitaire", _C),
    "553": ("rapport d'écart de facture de transitaire", _I),
    "575": ("facture d'assureur", _I),
    "623": ("facture de transitaire", _I),
    "633": ("facture portuaire", _I),
    "751": ("facture pour information", _I),
    "780": ("facture de fret", _I),
    "817": ("déclaration de sinistre", _I),
    "870": ("facture consulaire", _I),
    "875": ("facture partielle de travaux", _I),
    "876": ("facture partielle et finale de travaux", _I),
    "877": ("facture finale de travaux", _I),
    "935": ("facture douanière", _I),
}
DOCUMENT_TYPES = {code: DocumentType(code, label, kind) for code, (label, kind) in _TABLE.items()}
assert set(DOCUMENT_TYPES) == ACCEPTED_CODES, "the table and the official lists must name the same codes"


def document_type(code: str | None) -> DocumentType | None:
    """The document type of a BT-3 code, None for a code EN 16931 does not allow."""
    return DOCUMENT_TYPES.get((code or "").strip())


def type_label(code: str) -> str:
    found = document_type(code)
    return found.label if found else code


def refusal(code: str | None) -> str:
    """Why a BT-3 code is refused, in French."""
    return (
        f"type de document (BT-3) « {(code or '')[:10]} » inconnu de la norme EN 16931 : un code de la liste "
        "UNTDID 1001 retenue par la norme est attendu (380 facture, 381 avoir, 384 facture rectificative, "
        "386 facture d'acompte, 389 autofacture…)"
    )


def amount_due(ttc: Decimal, prepaid: Decimal, rounding: Decimal = Decimal(0)) -> Decimal:
    """What remains to pay once the prepayments (BT-113) already invoiced are deducted: BT-115."""
    return ttc - prepaid + rounding
