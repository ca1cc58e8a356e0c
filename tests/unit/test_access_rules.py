import pytest

from groupement.core.access import (
    Actor,
    OrganisationKind,
    Role,
    can_manage_users,
    reachable_organisation_ids,
    role_fits_organisation,
)

COORDINATOR_ORG, COMMUNE_A, COMMUNE_B = 1, 10, 20
MEMBERS = [COMMUNE_A, COMMUNE_B]


@pytest.mark.parametrize("role", [Role.AGENT, Role.SIGNATORY])
def test_a_commune_user_reaches_only_their_own_commune(role):
    actor = Actor(user_id=5, role=role, organisation_id=COMMUNE_A)
    assert reachable_organisation_ids(actor, MEMBERS) == {COMMUNE_A}


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ACCOUNTANT, Role.ADMIN])
def test_the_coordinator_side_reaches_itself_and_the_members_it_coordinates(role):
    actor = Actor(user_id=1, role=role, organisation_id=COORDINATOR_ORG)
    assert reachable_organisation_ids(actor, MEMBERS) == {COORDINATOR_ORG, COMMUNE_A, COMMUNE_B}


def test_a_coordinator_of_no_groupement_reaches_only_itself():
    actor = Actor(user_id=1, role=Role.COORDINATOR, organisation_id=COORDINATOR_ORG)
    assert reachable_organisation_ids(actor, []) == {COORDINATOR_ORG}


@pytest.mark.parametrize(
    ("role", "kind", "fits"),
    [
        (Role.AGENT, OrganisationKind.COMMUNE, True),
        (Role.SIGNATORY, OrganisationKind.COMMUNE, True),
        (Role.AGENT, OrganisationKind.COORDINATOR, False),
        (Role.COORDINATOR, OrganisationKind.COMMUNE, False),
        (Role.ACCOUNTANT, OrganisationKind.COORDINATOR, True),
        (Role.ADMIN, OrganisationKind.COMMUNE, False),
    ],
)
def test_roles_belong_to_one_kind_of_organisation(role, kind, fits):
    assert role_fits_organisation(role, kind) is fits


@pytest.mark.parametrize("role", list(Role))
def test_only_the_administrator_manages_users(role):
    assert can_manage_users(Actor(1, role, COORDINATOR_ORG)) is (role is Role.ADMIN)
