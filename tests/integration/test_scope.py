import pytest
from sqlalchemy import select

from groupement.core.access import Role
from groupement.core.errors import NotFound
from groupement.organisations import scope
from groupement.organisations.models import Organisation


@pytest.fixture
def world(make):
    capi = make.coordinator()
    other_coordinator = make.coordinator(name="Autre EPCI", siren="200066793", siret=None)
    a, b, outsider = make.organisation(name="A"), make.organisation(name="B"), make.organisation(name="Hors")
    group = make.groupement(capi)
    make.membership(group, a)
    make.membership(group, b)
    make.membership(make.groupement(other_coordinator), outsider)
    return {
        "capi": capi,
        "a": a,
        "b": b,
        "outsider": outsider,
        "agent_a": make.user(Role.AGENT, a),
        "coordinator": make.user(Role.COORDINATOR, capi),
    }


def names(statement):
    from groupement.extensions import db

    return sorted(o.name for o in db.session.scalars(statement))


def test_an_agent_sees_only_their_commune(world):
    assert names(scope.organisations(world["agent_a"].actor)) == ["A"]


def test_the_coordinator_sees_itself_and_its_members_but_not_another_groupement(world):
    assert names(scope.organisations(world["coordinator"].actor)) == ["A", "B", "CAPI"]


def test_an_id_outside_scope_is_not_found(world):
    agent = world["agent_a"].actor
    assert scope.get_scoped(Organisation, world["a"].id, Organisation.id, agent).name == "A"
    for other in ("b", "capi", "outsider"):
        with pytest.raises(NotFound):
            scope.get_scoped(Organisation, world[other].id, Organisation.id, agent)
    with pytest.raises(NotFound):
        scope.get_scoped(Organisation, world["outsider"].id, Organisation.id, world["coordinator"].actor)


def test_scope_restricts_any_statement_by_its_organisation_column(world):
    statement = scope.restrict(
        select(Organisation).where(Organisation.name != "A"), Organisation.id, world["agent_a"].actor
    )
    assert names(statement) == []
