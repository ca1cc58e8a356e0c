"""The one place where scope (DESIGN.md §3.4) becomes SQL. Every query of commune data uses it."""

from __future__ import annotations

from sqlalchemy import Select, false, select

from groupement.core.access import COMMUNE_ROLES, Actor, reachable_organisation_ids
from groupement.core.errors import NotFound
from groupement.extensions import db
from groupement.organisations.models import Groupement, Membership, Organisation
from groupement.organisations.user_models import User


def coordinated_member_ids(actor: Actor) -> list[int]:
    if actor.role in COMMUNE_ROLES:
        return []
    return list(
        db.session.scalars(
            select(Membership.commune_id)
            .join(Groupement, Groupement.id == Membership.groupement_id)
            .where(Groupement.coordinator_id == actor.organisation_id)
        )
    )


def reachable_organisations(actor: Actor) -> frozenset[int]:
    return reachable_organisation_ids(actor, coordinated_member_ids(actor))


def restrict(statement: Select, organisation_column, actor: Actor) -> Select:
    """Narrow a SELECT to the rows whose organisation the actor may reach."""
    return statement.where(organisation_column.in_(reachable_organisations(actor)))


def organisations(actor: Actor) -> Select:
    return restrict(select(Organisation), Organisation.id, actor)


def users(actor: Actor) -> Select:
    return restrict(select(User), User.organisation_id, actor)


def get_scoped(model, object_id: int, organisation_column, actor: Actor):
    """One row by id if the actor may reach it; NotFound otherwise (404, never 403)."""
    row = db.session.scalar(restrict(select(model).where(model.id == object_id), organisation_column, actor))
    if row is None:
        raise NotFound()
    return row


def campaigns(actor: Actor) -> Select:
    """Coordinator side: the campaigns of the groupements it coordinates, drafts included.
    Commune side: the non-draft campaigns of the groupements the commune belongs to."""
    from groupement.campaigns.models import Campaign
    from groupement.campaigns.rules import CampaignStatus

    statement = select(Campaign).join(Groupement, Groupement.id == Campaign.groupement_id)
    if actor.role in COMMUNE_ROLES:
        member_of = select(Membership.groupement_id).where(Membership.commune_id == actor.organisation_id)
        return statement.where(Campaign.groupement_id.in_(member_of), Campaign.status != CampaignStatus.DRAFT)
    return statement.where(Groupement.coordinator_id == actor.organisation_id)


def get_campaign(actor: Actor, campaign_id: int):
    from groupement.campaigns.models import Campaign

    campaign = db.session.scalar(campaigns(actor).where(Campaign.id == campaign_id))
    if campaign is None:
        raise NotFound("Campagne introuvable.")
    return campaign


def owned_by_coordinator(statement: Select, coordinator_column, actor: Actor) -> Select:
    """Narrow a SELECT to the rows a coordinator owns (its suppliers, its invoices): the actor's
    own coordinator on the coordinator side; nothing for a commune's users."""
    if actor.role in COMMUNE_ROLES:
        return statement.where(false())
    return statement.where(coordinator_column == actor.organisation_id)


def contracts(actor: Actor) -> Select:
    """The contracts of the lots of the campaigns the actor reaches (see campaigns above)."""
    from groupement.contracts.models import Contract
    from groupement.lots.models import Lot

    reached = campaigns(actor).subquery()
    return select(Contract).join(Lot, Lot.id == Contract.lot_id).where(Lot.campaign_id.in_(select(reached.c.id)))


def suppliers(actor: Actor) -> Select:
    """The suppliers of the actor's coordinator (commune users: none)."""
    from groupement.tenders.models import Supplier

    return owned_by_coordinator(select(Supplier), Supplier.coordinator_id, actor)


def get_supplier(actor: Actor, supplier_id: int | None):
    from groupement.tenders.models import Supplier

    supplier = db.session.scalar(suppliers(actor).where(Supplier.id == supplier_id)) if supplier_id else None
    if supplier is None:
        raise NotFound("Fournisseur introuvable.")
    return supplier
