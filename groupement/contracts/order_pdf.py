"""The purchase order (bon de commande) as a PDF, from plain data: no database here.

Written in HTML and CSS (templates/pdf/order.html on templates/pdf/_document.html) and turned
into PDF by WeasyPrint (core/files/pdf.py): the coordinator's letterhead, the parties, the lines
with a header repeated on each page, the totals per VAT rate, the references the supplier must
recall on its invoice (the order number, the commune's engagement number, its Chorus Pro service
code), « Page 1 sur 2 » in the footer. Needs an application context (the Jinja environment).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import render_template

from groupement.core.files.pdf import Letterhead, html_to_pdf
from groupement.core.formatting import euros, number
from groupement.core.money import to_cents


@dataclass(frozen=True)
class OrderDocumentLine:
    ref: str
    designation: str
    unit: str
    quantity: int
    unit_price: Decimal
    eco_participation: Decimal
    vat_rate: Decimal
    amount_ht: Decimal


@dataclass(frozen=True)
class OrderDocument:
    number: str
    order_date: date
    commune_name: str
    commune_address: str
    commune_siret: str
    delivery_address: str
    supplier_name: str
    supplier_address: str
    supplier_siret: str
    contract_number: str
    lot_title: str
    created_by: str
    lines: Sequence[OrderDocumentLine]
    vat: Sequence[tuple[Decimal, Decimal, Decimal]]  # (rate, base HT, VAT)
    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal
    notes: Sequence[str] = field(default_factory=tuple)
    engagement_number: str = ""  # numéro d'engagement juridique of the commune
    chorus_service_code: str = ""  # the commune's Chorus Pro service code
    commune_siren: str = ""


def order_title(document: OrderDocument) -> str:
    return f"Bon de commande n° {document.number}"


def unit_euros(price: Decimal) -> str:
    """764,10 €, but 4,215 € when the contract priced it to the tenth of a cent."""
    if to_cents(price) == price:
        return euros(price)
    decimals = min(max(-price.normalize().as_tuple().exponent, 2), 4)
    return f"{number(price, decimals)}\u00a0€"


def order_html(document: OrderDocument, letterhead: Letterhead) -> str:
    return render_template(
        "pdf/order.html",
        document=document,
        letterhead=letterhead,
        pdf_title=order_title(document),
        document_title="Bon de commande",
        reference=f"n° {document.number}",
        issued_on=document.order_date,
        unit_euros=unit_euros,
    )


def order_pdf(document: OrderDocument, letterhead: Letterhead) -> bytes:
    return html_to_pdf(order_html(document, letterhead))
