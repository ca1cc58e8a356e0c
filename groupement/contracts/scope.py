"""Scope of the framework contracts: those of the lots of the campaigns the actor reaches."""

from __future__ import annotations

from sqlalchemy import Select, select

from groupement.campaigns.scope import campaigns
from groupement.contracts.models import Contract
from groupement.core.access import Actor
from groupement.lots.models import Lot


def contracts(actor: Actor) -> Select:
    """The contracts of the lots of the campaigns the actor reaches (campaigns.scope)."""

    reached = campaigns(actor).subquery()
    return select(Contract).join(Lot, Lot.id == Contract.lot_id).where(Lot.campaign_id.in_(select(reached.c.id)))
