"""The commune's to-do list: the agent fills the campaign, receives orders and certifies
deliveries; the signatory validates the submitted needs and certifies the service fait.

Counted in SQL through the features' scoped queries: a fixed number of queries per home."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from groupement.campaigns.board import CampaignSummary
from groupement.campaigns.rules import CampaignStatus, SubmissionStatus
from groupement.contracts.models import Delivery, Order, OrderLine
from groupement.contracts.order_queries import orders_in_scope
from groupement.core.access import Actor, Role
from groupement.core.formatting import date_fr, datetime_fr
from groupement.core.timeutil import to_paris
from groupement.dashboard.tasks import Task, Urgency, by_urgency, plural, urgency_of
from groupement.extensions import db
from groupement.invoices.models import ServiceFait


def commune_tasks(actor: Actor, campaigns: list[CampaignSummary], today: date) -> list[Task]:
    tasks = _campaign_tasks(actor, campaigns, today)
    if actor.role is Role.AGENT:
        tasks.append(_orders_to_receive(actor))
    tasks.append(_deliveries_to_certify(actor, today))
    return by_urgency(tasks)


def _campaign_tasks(actor: Actor, campaigns: list[CampaignSummary], today: date) -> list[Task]:
    tasks = []
    for summary in campaigns:
        if summary.status is not CampaignStatus.OPEN:
            continue
        campaign = summary.campaign
        due_on = to_paris(campaign.closes_at).date()
        when = f"date limite le {datetime_fr(campaign.closes_at)}"
        common = dict(
            count=1,
            endpoint="needs.grid",
            params={"campaign_id": campaign.id},
            urgency=urgency_of(due_on, today),
            due_on=due_on,
            when=when,
        )
        if actor.role is Role.AGENT and summary.own_status in (None, SubmissionStatus.DRAFT):
            started = "à compléter puis soumettre" if summary.own_status else "à saisir puis soumettre"
            tasks.append(Task("needs_to_fill", f"Besoins « {campaign.title} » {started}", **common))
        if actor.role is Role.SIGNATORY and summary.own_status is SubmissionStatus.SUBMITTED:
            tasks.append(Task("needs_to_validate", f"Besoins « {campaign.title} » soumis, à valider", **common))
    return tasks


def _delivered_per_line():
    return (
        select(Delivery.order_line_id, func.sum(Delivery.quantity).label("delivered"))
        .group_by(Delivery.order_line_id)
        .subquery()
    )


def _orders_to_receive(actor: Actor) -> Task:
    """The commune's orders with a line not fully delivered yet (one query)."""
    delivered = _delivered_per_line()
    orders = orders_in_scope(actor).with_only_columns(Order.id).subquery()
    count = db.session.scalar(
        select(func.count(func.distinct(OrderLine.order_id)))
        .outerjoin(delivered, delivered.c.order_line_id == OrderLine.id)
        .where(
            OrderLine.order_id.in_(select(orders.c.id)),
            func.coalesce(delivered.c.delivered, 0) < OrderLine.quantity,
        )
    )
    return Task(
        "orders_to_receive",
        f"{plural(count, 'commande')} en attente de livraison",
        count,
        "orders.index",
        detail="Enregistrez chaque livraison reçue sur la page de la commande.",
    )


def _deliveries_to_certify(actor: Actor, today: date) -> Task:
    """The deliveries of the commune's orders without their service fait (one query)."""
    orders = orders_in_scope(actor).with_only_columns(Order.id).subquery()
    count, oldest = db.session.execute(
        select(func.count(Delivery.id), func.min(Delivery.delivered_on))
        .join(OrderLine, OrderLine.id == Delivery.order_line_id)
        .outerjoin(ServiceFait, ServiceFait.delivery_id == Delivery.id)
        .where(OrderLine.order_id.in_(select(orders.c.id)), ServiceFait.id.is_(None))
    ).one()
    return Task(
        "deliveries_to_certify",
        f"{plural(count, 'livraison')} à certifier (service fait)",
        count,
        "invoices.service_fait_list",
        # Waiting blocks the supplier's invoice: a delivery older than a week is urgent.
        urgency=Urgency.LATE if oldest and (today - oldest).days > 7 else Urgency.SOON,
        when=f"la plus ancienne reçue le {date_fr(oldest)}" if oldest else "",
        detail="Seules les livraisons certifiées peuvent être facturées à la commune.",
    )
