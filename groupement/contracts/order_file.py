"""An order's PDF file: its detail laid out for order_pdf, on its coordinator's letterhead, and
archived (core/archive.py) when the order is created: the file the commune downloads is then the
archived one, byte for byte, whatever changes later (a new letterhead, a renamed supplier)."""

from __future__ import annotations

from sqlalchemy import select

from groupement.contracts.consumption import delivery_address_of
from groupement.contracts.models import Order
from groupement.contracts.order_pdf import OrderDocument, OrderDocumentLine, order_pdf, order_title
from groupement.contracts.order_queries import OrderDetail, order_detail
from groupement.contracts.revisions import prices_in_force, revision_history
from groupement.core.access import Actor
from groupement.core.archive import archive, archived_documents, serialise_first_archiving
from groupement.extensions import db
from groupement.organisations.letterhead import letterhead_for
from groupement.organisations.models import Groupement

KIND = "bon_de_commande"
OBJECT_TYPE = "purchase_order"


def coordinator_of(order: Order) -> int:
    """The coordinator of the groupement the order's contract was awarded for (the order is in scope)."""
    groupement_id = order.contract.lot.campaign.groupement_id
    return db.session.scalar(select(Groupement.coordinator_id).where(Groupement.id == groupement_id))


def price_notes(detail: OrderDetail) -> tuple[str, ...]:
    """What the order says of its prices: revised (which revision, its coefficient, since when), or
    why a due revision is not applied (Order.price_note, kept when the order was placed). The prices
    in force are those of the order's day as the revisions computed before the order gave them
    (revisions are append-only, so this reads the same at any later time)."""
    order = detail.order
    if order.price_note:
        return (order.price_note,)
    in_force = prices_in_force(order.contract, order.ordered_on or detail.order_date, order.created_at)
    if in_force.revision == 0:
        return ()
    revision = next(r for r in revision_history(order.contract) if r.number == in_force.revision)
    coefficient = str(revision.coefficient).replace(".", ",")
    return (
        f"Prix révisés : révision n° {revision.number} du marché (coefficient {coefficient}, indices de "
        f"{revision.index_month:%m/%Y}), en vigueur depuis le {revision.applies_from:%d/%m/%Y} ; "
        "l'éco-participation n'est pas révisée.",
    )


def order_document(detail: OrderDetail) -> OrderDocument:
    order, contract = detail.order, detail.order.contract
    supplier = contract.supplier
    commune = order.commune
    return OrderDocument(
        number=order.number,
        order_date=detail.order_date,
        commune_name=commune.name,
        commune_address=delivery_address_of(commune),
        commune_siret=commune.siret or "",
        commune_siren=commune.siren,
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
        engagement_number=order.engagement_number or "",
        chorus_service_code=commune.chorus_service_code or "",
        notes=price_notes(detail),
    )


def archive_order_pdf(actor: Actor, order_id: int) -> bytes:
    """Renders the order's PDF and archives it (a new version beside any earlier one)."""
    detail = order_detail(actor, order_id)
    order = detail.order
    coordinator_id = coordinator_of(order)
    document = order_document(detail)
    content = order_pdf(document, letterhead_for(coordinator_id))
    archive(
        actor_id=actor.user_id,
        coordinator_id=coordinator_id,
        object_type=OBJECT_TYPE,
        object_id=order.id,
        kind=KIND,
        title=order_title(document),
        file_name=f"{order.number}.pdf",
        content=content,
    )
    return content


def order_pdf_file(actor: Actor, order_id: int) -> tuple[bytes, str]:
    """The order as archived at its creation, and its file name; an order older than the archive
    is rendered and archived now. NotFound outside the actor's scope."""
    order = order_detail(actor, order_id).order
    serialise_first_archiving(OBJECT_TYPE, order.id, KIND)
    kept = [d for d in archived_documents(coordinator_of(order), OBJECT_TYPE, order.id) if d.kind == KIND]
    if kept:
        return kept[0].content, kept[0].file_name
    return archive_order_pdf(actor, order_id), f"{order.number}.pdf"
