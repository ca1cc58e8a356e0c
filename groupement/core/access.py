"""Who may reach what: the scope rules of DESIGN.md §3.4, as pure functions.

The query helper in organisations/scope.py applies these to SELECT statements; routes only ask it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    COORDINATOR = "coordinator"
    AGENT = "agent"
    SIGNATORY = "signatory"
    ACCOUNTANT = "accountant"
    ADMIN = "admin"
    SUPPLIER = "supplier"  # a contract holder's user (issue 17): its own supplier record only

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.COORDINATOR: "Coordonnateur (acheteur)",
    Role.AGENT: "Agent communal",
    Role.SIGNATORY: "Signataire communal",
    Role.ACCOUNTANT: "Comptable",
    Role.ADMIN: "Administrateur",
    Role.SUPPLIER: "Fournisseur",
}

COMMUNE_ROLES = frozenset({Role.AGENT, Role.SIGNATORY})
COORDINATOR_SIDE_ROLES = frozenset({Role.COORDINATOR, Role.ACCOUNTANT, Role.ADMIN})
# A supplier's users belong to the coordinator that keeps the supplier record (their
# organisation_id) but reach none of its data: their scope is the supplier record alone
# (groupement/suppliers/scope.py). Routes admit them only where they name Role.SUPPLIER.
SUPPLIER_ROLES = frozenset({Role.SUPPLIER})
BUYER_ROLES = frozenset(Role) - SUPPLIER_ROLES


class OrganisationKind(StrEnum):
    COORDINATOR = "coordinator"
    COMMUNE = "commune"


ROLES_BY_KIND = {
    OrganisationKind.COMMUNE: COMMUNE_ROLES,
    OrganisationKind.COORDINATOR: COORDINATOR_SIDE_ROLES,
}


@dataclass(frozen=True)
class Actor:
    """Who acts: a user with a role in an organisation, or the system acting for one (below)."""

    user_id: int | None
    role: Role
    organisation_id: int

    @property
    def is_system(self) -> bool:
        return self.user_id is None


def system_actor(coordinator_id: int) -> Actor:
    """The CLI, the periodic work and the jobs no user started act for one coordinator, with its
    coordinator's rights and scope and no user: the audit trail records them as the system (a job a
    user started acts as that user: core/jobs.job_actor). Nothing is ever "allowed everything"."""
    return Actor(None, Role.COORDINATOR, coordinator_id)


def role_fits_organisation(role: Role, kind: OrganisationKind) -> bool:
    """Agents and signatories work for a commune; the others for the coordinator."""
    return role in ROLES_BY_KIND[kind]


def reachable_organisation_ids(actor: Actor, coordinated_member_ids: Iterable[int]) -> frozenset[int]:
    """The organisations whose data the actor may see.

    A commune's users reach their commune only. The coordinator's users reach their own
    organisation and the members of the groupements it coordinates.
    """
    if actor.role in SUPPLIER_ROLES:
        return frozenset()  # nothing of any organisation: suppliers/scope.py gives its own rows
    if actor.role in COMMUNE_ROLES:
        return frozenset({actor.organisation_id})
    return frozenset({actor.organisation_id, *coordinated_member_ids})


def can_manage_users(actor: Actor) -> bool:
    return actor.role is Role.ADMIN
