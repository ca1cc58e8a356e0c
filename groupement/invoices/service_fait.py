"""Service fait: the commune that ordered certifies each delivery it received. Only certified
deliveries count for the invoices' delivery check (matching.match_invoice); invoicing beyond them
needs the coordinator's reasoned decision (matching.COORDINATOR_DECISIONS)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from groupement.contracts.models import Contract, Delivery, Order, OrderLine
from groupement.contracts.order_queries import orders_in_scope
from groupement.core import audit, transaction
from groupement.core.access import COMMUNE_ROLES, Actor
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.extensions import db
from groupement.invoices.models import ServiceFait


@dataclass(frozen=True)
class DeliveryRow:
    delivery: Delivery
    certification: ServiceFait | None

    @property
    def order(self) -> Order:
        return self.delivery.order_line.order


def _deliveries(actor: Actor):
    orders = orders_in_scope(actor).with_only_columns(Order.id)
    return (
        select(Delivery)
        .join(OrderLine, OrderLine.id == Delivery.order_line_id)
        .where(OrderLine.order_id.in_(orders))
        .options(
            joinedload(Delivery.order_line)
            .joinedload(OrderLine.order)
            .joinedload(Order.contract)
            .joinedload(Contract.supplier),
            joinedload(Delivery.order_line).joinedload(OrderLine.contract_price),
        )
    )


def commune_deliveries(actor: Actor) -> list[DeliveryRow]:
    """The deliveries of the actor's commune's orders, those awaiting certification first, newest first."""
    if actor.role not in COMMUNE_ROLES:
        raise Forbidden("Le service fait est certifié par la commune qui a commandé.")
    deliveries = list(
        db.session.scalars(_deliveries(actor).order_by(Delivery.delivered_on.desc(), Delivery.id.desc())).unique()
    )
    certifications = {
        c.delivery_id: c
        for c in db.session.scalars(
            select(ServiceFait)
            .where(ServiceFait.delivery_id.in_([d.id for d in deliveries]))
            .options(joinedload(ServiceFait.certified_by))
        )
    }
    rows = [DeliveryRow(d, certifications.get(d.id)) for d in deliveries]
    return sorted(rows, key=lambda row: row.certification is not None)


def certify_delivery(actor: Actor, delivery_id: int) -> ServiceFait:
    """The commune's agent or signatory certifies that the delivery was received as ordered."""
    if actor.role not in COMMUNE_ROLES:
        raise Forbidden("Le service fait est certifié par la commune qui a commandé.")
    delivery = db.session.scalar(_deliveries(actor).where(Delivery.id == delivery_id))
    if delivery is None or delivery.order_line.order.commune_id != actor.organisation_id:
        raise NotFound("Livraison introuvable.")
    if db.session.scalar(select(ServiceFait.id).where(ServiceFait.delivery_id == delivery.id)) is not None:
        raise ServiceError("Le service fait de cette livraison est déjà certifié.")
    certification = ServiceFait(
        delivery_id=delivery.id, commune_id=actor.organisation_id, certified_by_id=actor.user_id
    )
    try:
        # Two certifications at once: unique (delivery) refuses the second.
        with transaction.savepoint():
            db.session.add(certification)
            db.session.flush()
    except IntegrityError:
        raise ServiceError("Le service fait de cette livraison vient d'être certifié.") from None
    order = delivery.order_line.order
    audit.record(
        actor.user_id,
        "service_fait.certify",
        "delivery",
        delivery.id,
        after={
            "order": order.number,
            "order_line": delivery.order_line_id,
            "delivered_on": delivery.delivered_on,
            "quantity": delivery.quantity,
        },
    )
    return certification
