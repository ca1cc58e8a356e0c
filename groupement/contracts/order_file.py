"""An order's PDF file: its detail laid out for order_pdf."""

from __future__ import annotations

from groupement.contracts.consumption import delivery_address_of
from groupement.contracts.order_pdf import OrderDocument, OrderDocumentLine, order_pdf
from groupement.contracts.order_queries import order_detail
from groupement.core.access import Actor


def order_pdf_file(actor: Actor, order_id: int) -> tuple[bytes, str]:
    """The printable order as a PDF, and its file name."""
    detail = order_detail(actor, order_id)
    order, contract = detail.order, detail.order.contract
    supplier = contract.supplier
    commune = order.commune
    document = OrderDocument(
        number=order.number,
        order_date=detail.order_date,
        commune_name=commune.name,
        commune_address=delivery_address_of(commune),
        commune_siret=commune.siret or "",
        delivery_address=order.delivery_address,
        supplier_name=supplier.name,
        supplier_address="\n".join(
            part for part in (supplier.address, " ".join(p for p in (supplier.postcode, supplier.city) if p)) if part
        ),
        supplier_siret=supplier.siret,
        contract_number=contract.number,
        lot_title=f"Lot n° {contract.lot.number} — {contract.lot.title}",
        created_by=order.created_by.name if order.created_by else "",
        lines=[
            OrderDocumentLine(
                ref=view.lot_line.ref,
                designation=view.lot_line.designation,
                unit=view.lot_line.unit,
                quantity=view.line.quantity,
                unit_price=view.line.unit_price,
                eco_participation=view.line.eco_participation,
                vat_rate=view.line.vat_rate,
                amount_ht=view.line.amount_ht,
            )
            for view in detail.lines
        ],
        vat=[(row.rate, row.base_ht, row.vat) for row in detail.vat],
        total_ht=order.total_ht,
        total_vat=detail.total_vat,
        total_ttc=detail.total_ttc,
    )
    return order_pdf(document), f"{order.number}.pdf"
