"""The supplier's side of an order: acknowledge it (once), announce the delivery date, declare
deliveries (partial allowed, never beyond the order). A declared delivery is a contracts
Delivery marked « déclarée par le fournisseur » (DeclaredDelivery): the commune still certifies
the service (invoices/service_fait.py), and only certified deliveries are invoiceable."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from groupement.contracts.models import Delivery
from groupement.contracts.order_rules import check_delivery
from groupement.core import audit, transaction
from groupement.core.access import Actor
from groupement.core.errors import ServiceError
from groupement.core.timeutil import paris_today, to_paris
from groupement.extensions import db
from groupement.suppliers import scope
from groupement.suppliers.models import DeclaredDelivery, OrderAcknowledgment

MAX_PLANNED_DAYS = 3 * 366  # a delivery date further than that is a typing error


class AlreadyAcknowledged(ServiceError):
    pass


def acknowledgment_of(order_id: int) -> OrderAcknowledgment | None:
    """Unscoped: the caller has loaded the order through scope."""
    return db.session.scalar(select(OrderAcknowledgment).where(OrderAcknowledgment.order_id == order_id))


def check_planned_date(planned: date | None, order_date: date, today: date) -> None:
    if planned is None:
        return
    if planned < order_date:
        raise ServiceError(
            f"La date de livraison prévue ne peut pas précéder la date du bon de commande ({order_date:%d/%m/%Y})."
        )
    if planned > today + timedelta(days=MAX_PLANNED_DAYS):
        raise ServiceError("La date de livraison prévue est à plus de trois ans : vérifiez-la.")


def acknowledge_order(
    actor: Actor, order_id: int, planned: date | None = None, today: date | None = None
) -> OrderAcknowledgment:
    """Acknowledge once: a second acknowledgment (a double click, another user) is refused by the
    unique (order) constraint behind the check, and says when it was done."""
    order = scope.get_order(actor, order_id)
    today = today or paris_today()
    check_planned_date(planned, to_paris(order.created_at).date(), today)
    existing = acknowledgment_of(order.id)
    if existing is not None:
        raise AlreadyAcknowledged(
            f"Le bon de commande n° {order.number} a déjà été accusé reçu le "
            f"{to_paris(existing.acknowledged_at):%d/%m/%Y à %H:%M}."
        )
    ack = OrderAcknowledgment(order_id=order.id, acknowledged_by_id=actor.user_id, planned_delivery_on=planned)
    try:
        with transaction.savepoint():
            db.session.add(ack)
            db.session.flush()
    except IntegrityError:
        raise AlreadyAcknowledged(f"Le bon de commande n° {order.number} vient d'être accusé reçu.") from None
    audit.record(
        actor.user_id, "order.acknowledge", "purchase_order", order.id,
        after={"number": order.number, "planned_delivery_on": planned},
    )  # fmt: skip
    return ack


def plan_delivery(
    actor: Actor, order_id: int, planned: date, seen_version: int, today: date | None = None
) -> OrderAcknowledgment:
    """Change the announced delivery date, by compare-and-set on the acknowledgment's version."""
    order = scope.get_order(actor, order_id)
    ack = acknowledgment_of(order.id)
    if ack is None:
        raise ServiceError(f"Accusez d'abord réception du bon de commande n° {order.number}.")
    if planned is None:
        raise ServiceError("Indiquez la date de livraison prévue.")
    check_planned_date(planned, to_paris(order.created_at).date(), today or paris_today())
    if ack.version != seen_version:
        raise ServiceError("La date de livraison a été modifiée entre-temps : rechargez la page.")
    before = ack.planned_delivery_on
    ack.planned_delivery_on = planned
    try:
        with transaction.savepoint():
            db.session.flush()  # UPDATE … WHERE version = :seen
    except StaleDataError:
        raise ServiceError("La date de livraison a été modifiée entre-temps : rechargez la page.") from None
    audit.record(
        actor.user_id, "order.plan_delivery", "purchase_order", order.id,
        before={"planned_delivery_on": before}, after={"planned_delivery_on": planned},
    )  # fmt: skip
    return ack


def delivered_quantity(order_line_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Delivery.quantity), 0)).where(Delivery.order_line_id == order_line_id)
        )
    )


def declare_delivery(
    actor: Actor, order_line_id: int, delivered_on: date, quantity: int, today: date | None = None
) -> Delivery:
    """`quantity` of the line delivered on `delivered_on`, declared by the supplier. The line is
    locked (PostgreSQL) so that two declarations cannot pass the order together."""
    supplier = scope.own_supplier(actor)
    line = scope.get_order_line(actor, order_line_id, lock=True)
    order = line.order
    if acknowledgment_of(order.id) is None:
        raise ServiceError(f"Accusez d'abord réception du bon de commande n° {order.number}.")
    before = delivered_quantity(line.id)
    check_delivery(
        line.quantity, before, quantity, delivered_on, to_paris(order.created_at).date(), today or paris_today()
    )
    delivery = Delivery(order_line=line, delivered_on=delivered_on, quantity=quantity, recorded_by_id=actor.user_id)
    db.session.add(delivery)
    db.session.flush()
    db.session.add(DeclaredDelivery(delivery_id=delivery.id, supplier_id=supplier.id, declared_by_id=actor.user_id))
    db.session.flush()
    audit.record(
        actor.user_id,
        "delivery.declare",
        "order_line",
        line.id,
        before={"delivered": before},
        after={
            "order": order.number,
            "delivery": delivery.id,
            "delivered_on": delivered_on,
            "quantity": quantity,
            "delivered": before + quantity,
            "ordered": line.quantity,
        },
    )
    return delivery
