"""Scope of the suppliers: each belongs to one coordinator."""

from __future__ import annotations

from sqlalchemy import Select, select

from groupement.core.access import Actor
from groupement.core.errors import NotFound
from groupement.extensions import db
from groupement.organisations.scope import owned_by_coordinator
from groupement.tenders.models import Supplier


def suppliers(actor: Actor) -> Select:
    """The suppliers of the actor's coordinator (commune users: none)."""

    return owned_by_coordinator(select(Supplier), Supplier.coordinator_id, actor)


def get_supplier(actor: Actor, supplier_id: int | None):

    supplier = db.session.scalar(suppliers(actor).where(Supplier.id == supplier_id)) if supplier_id else None
    if supplier is None:
        raise NotFound("Fournisseur introuvable.")
    return supplier
