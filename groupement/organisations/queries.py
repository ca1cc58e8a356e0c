"""Organisations and memberships as each actor may see them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from groupement.core.access import Actor
from groupement.extensions import db
from groupement.organisations import scope
from groupement.organisations.models import Membership, Organisation
from groupement.organisations.user_models import User


@dataclass(frozen=True)
class OrganisationRow:
    organisation: Organisation
    membership: Membership | None


@dataclass(frozen=True)
class OrganisationDetail:
    organisation: Organisation
    memberships: list[Membership]
    users: list[User]


def organisations_overview(actor: Actor) -> list[OrganisationRow]:
    organisations = db.session.scalars(
        scope.organisations(actor)
        .options(selectinload(Organisation.memberships))
        .order_by(Organisation.kind.desc(), Organisation.population.desc(), Organisation.name)
    ).all()
    return [OrganisationRow(o, o.memberships[0] if o.memberships else None) for o in organisations]


def organisation_detail(actor: Actor, organisation_id: int) -> OrganisationDetail:
    organisation = scope.get_scoped(Organisation, organisation_id, Organisation.id, actor)
    memberships = list(
        db.session.scalars(
            select(Membership)
            .where(Membership.commune_id == organisation.id)
            .options(selectinload(Membership.groupement))
        )
    )
    users = list(
        db.session.scalars(scope.users(actor).where(User.organisation_id == organisation.id).order_by(User.name))
    )
    return OrganisationDetail(organisation, memberships, users)
