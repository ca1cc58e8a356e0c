"""The one place where scope (DESIGN.md §3.4) becomes SQL. Every query of commune data uses it."""

from __future__ import annotations

from sqlalchemy import Select, false, select

from groupement.core.access import COMMUNE_ROLES, SUPPLIER_ROLES, Actor, reachable_organisation_ids
from groupement.core.errors import NotFound
from groupement.extensions import db
from groupement.organisations.models import Groupement, Membership, Organisation
from groupement.organisations.user_models import User


def coordinated_member_ids(actor: Actor) -> list[int]:
    if actor.role in COMMUNE_ROLES or actor.role in SUPPLIER_ROLES:
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


def owned_by_coordinator(statement: Select, coordinator_column, actor: Actor) -> Select:
    """Narrow a SELECT to the rows a coordinator owns (its suppliers, its invoices): the actor's
    own coordinator on the coordinator side; nothing for a commune's users."""
    if actor.role in COMMUNE_ROLES or actor.role in SUPPLIER_ROLES:
        return statement.where(false())
    return statement.where(coordinator_column == actor.organisation_id)
