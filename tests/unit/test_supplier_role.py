"""The supplier role (issue 17) in the pure access rules: it reaches no organisation, fits no
kind of organisation for an ordinary account, and is left out of the routes that name no role."""

from __future__ import annotations

from groupement.core.access import (
    BUYER_ROLES,
    SUPPLIER_ROLES,
    Actor,
    OrganisationKind,
    Role,
    can_manage_users,
    reachable_organisation_ids,
    role_fits_organisation,
)
from groupement.web.access import roles_required


def test_a_suppliers_user_reaches_no_organisation_even_its_coordinators():
    supplier = Actor(7, Role.SUPPLIER, 1)
    assert reachable_organisation_ids(supplier, [2, 3]) == frozenset()
    assert reachable_organisation_ids(Actor(8, Role.COORDINATOR, 1), [2, 3]) == {1, 2, 3}
    assert not can_manage_users(supplier)


def test_the_supplier_role_is_not_an_ordinary_accounts_role():
    assert not role_fits_organisation(Role.SUPPLIER, OrganisationKind.COORDINATOR)
    assert not role_fits_organisation(Role.SUPPLIER, OrganisationKind.COMMUNE)
    assert Role.SUPPLIER.label == "Fournisseur"
    assert BUYER_ROLES | SUPPLIER_ROLES == frozenset(Role) and not BUYER_ROLES & SUPPLIER_ROLES


def test_a_route_that_names_no_role_admits_the_buyers_only():
    def view():
        return "ok"

    assert roles_required()(view).allowed_roles == BUYER_ROLES
    assert roles_required(Role.SUPPLIER)(view).allowed_roles == {Role.SUPPLIER}
