"""Each new order notifies the users of the supplier that holds its contract, by e-mail.

By construction: a mapper hook notes every Order inserted in a unit of work (the order form,
the shop, the CLI, the demo), and the mail leaves after the commit only, through
core.mail.send_after_commit (a refused or rolled back order sends nothing). A mail that cannot
leave is logged: the order stays placed, and it is in the supplier's space either way."""

from __future__ import annotations

import logging

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from groupement.contracts.models import Order
from groupement.core import formatting
from groupement.core.mail import send_after_commit
from groupement.extensions import db
from groupement.organisations.user_models import User
from groupement.suppliers import scope

logger = logging.getLogger("groupement.suppliers")
_PENDING = "supplier_order_notices"


def order_notice(order: Order) -> tuple[list[str], str, str] | None:
    """The recipients, subject and body of the notice of a new order; None without users."""
    contract = order.contract
    recipients = [u.email for u in db.session.scalars(scope.supplier_users_of(contract.supplier_id).order_by(User.id))]
    if not recipients:
        return None
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    subject = f"Nouveau bon de commande n° {order.number} — marché n° {contract.number}"
    body = (
        "Bonjour,\n\n"
        f"{order.commune.name} vous adresse le bon de commande n° {order.number} sous le marché "
        f"n° {contract.number} ({contract.lot.title}), pour {formatting.euros(order.total_ht)} HT.\n\n"
        "Livraison :\n"
        f"{order.delivery_address}\n\n"
        + (
            f"Numéro d'engagement à rappeler sur la facture : {order.engagement_number}\n\n"
            if order.engagement_number
            else ""
        )
        + "Accusez-en réception et indiquez la date de livraison dans votre espace fournisseur :\n"
        f"{base}/espace-fournisseur/commandes/{order.id}\n"
    )
    return recipients, subject, body


def _note_new_orders(session: Session, flush_context) -> None:
    new = [o.id for o in session.new if isinstance(o, Order)]
    if new:
        session.info.setdefault(_PENDING, []).extend(new)


def _prepare_notices(session: Session) -> None:
    """Before the commit (SQL may still run): the notices of the orders that still exist.
    SQLAlchemy calls the commit hooks for a savepoint's release too: only the real commit counts."""
    if session.in_nested_transaction():
        return
    order_ids = session.info.pop(_PENDING, [])
    if not order_ids or not has_app_context():
        return
    for order_id in order_ids:
        try:
            order = session.get(Order, order_id)
            notice = order_notice(order) if order is not None else None
        except Exception:  # noqa: BLE001  (a notice that cannot be written never blocks the order)
            logger.exception("Avis du bon de commande %s non préparé", order_id)
            continue
        if notice is not None:
            send_after_commit(*notice, about=f"Avis au fournisseur du bon de commande {order.number}", session=session)


def _forget(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint undone: its orders are gone, _prepare_notices will not find them
    session.info.pop(_PENDING, None)


def register() -> None:
    """Called once by create_app: every session of the application notifies."""
    if not event.contains(Session, "after_flush", _note_new_orders):
        event.listen(Session, "after_flush", _note_new_orders)
        event.listen(Session, "before_commit", _prepare_notices)
        event.listen(Session, "after_rollback", _forget)
