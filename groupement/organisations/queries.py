"""Organisations and memberships as each actor may see them."""

from __future__ import annotations

from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from groupement.core.access import Actor, OrganisationKind
from groupement.core.search import contains
from groupement.core.search_text import search_words
from groupement.extensions import db
from groupement.organisations import scope
from groupement.organisations.models import Membership, Organisation
from groupement.organisations.user_models import User
from groupement.web.pagination import paginate


@dataclass(frozen=True)
class OrganisationRow:
    organisation: Organisation
    membership: Membership | None


@dataclass(frozen=True)
class OrganisationDetail:
    organisation: Organisation
    memberships: list[Membership]
    users: list[User]


@dataclass(frozen=True)
class OrganisationFilters:
    search: str = ""  # words of the name, or an INSEE code or SIREN
    kind: OrganisationKind | None = None


def _organisations(actor: Actor, filters: OrganisationFilters) -> Select:
    statement = scope.organisations(actor).options(selectinload(Organisation.memberships))
    if filters.kind is not None:
        statement = statement.where(Organisation.kind == filters.kind)
    for word in search_words(filters.search):
        statement = statement.where(
            or_(
                contains(Organisation.search_key, word),
                contains(Organisation.insee_code, word),
                contains(Organisation.siren, word),
            )
        )
    return statement.order_by(Organisation.kind.desc(), Organisation.population.desc(), Organisation.name)


def _row(organisation: Organisation) -> OrganisationRow:
    return OrganisationRow(organisation, organisation.memberships[0] if organisation.memberships else None)


def organisations_overview(actor: Actor, filters: OrganisationFilters | None = None) -> list[OrganisationRow]:
    """Every organisation that passes the filters (the export's rows)."""
    return [_row(o) for o in db.session.scalars(_organisations(actor, filters or OrganisationFilters()))]


@dataclass(frozen=True)
class OrganisationPage:
    pagination: Pagination
    rows: list[OrganisationRow]


def organisations_page(actor: Actor, filters: OrganisationFilters) -> OrganisationPage:
    pagination = paginate(_organisations(actor, filters))
    return OrganisationPage(pagination, [_row(o) for o in pagination.items])


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
