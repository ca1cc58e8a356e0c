import pytest
from sqlalchemy import select

from groupement.core.access import Role
from groupement.core.audit_log import AuditEvent, AuditTrailIsAppendOnly
from groupement.core.errors import Forbidden, ServiceError
from groupement.organisations.user_models import User
from groupement.organisations.users import authenticate, create_user


def test_the_admin_creates_a_user_who_can_then_log_in_and_it_is_audited(database, make):
    capi = make.coordinator()
    commune = make.organisation()
    admin = make.user(Role.ADMIN, capi)
    user = create_user(admin.actor, " Agent@Mairie.FR ", "Léa Agent", Role.AGENT, commune.id, "Un-bon-mot-2026")
    assert user.email == "agent@mairie.fr"
    assert authenticate("AGENT@mairie.fr", "Un-bon-mot-2026").id == user.id
    event = database.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.create")).one()
    assert event.actor_id == admin.id and event.after["role"] == "agent"
    assert "password" not in str(event.after)


def test_login_fails_the_same_way_for_an_unknown_email_a_wrong_password_and_a_closed_account(database, make):
    user = make.user(Role.AGENT, make.organisation(), email="a@mairie.fr")
    assert authenticate("inconnu@mairie.fr", "Mot-de-passe-2026") is None
    assert authenticate("a@mairie.fr", "mauvais") is None
    user.active = False
    assert authenticate("a@mairie.fr", "Mot-de-passe-2026") is None


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ACCOUNTANT, Role.AGENT])
def test_only_the_administrator_creates_accounts(database, make, role):
    capi = make.coordinator()
    actor = make.user(role, capi if role is not Role.AGENT else make.organisation())
    with pytest.raises(Forbidden):
        create_user(actor.actor, "x@y.fr", "X", Role.AGENT, capi.id, "Un-bon-mot-2026")


def test_a_role_that_does_not_fit_the_organisation_a_duplicate_or_a_weak_password_is_refused(database, make):
    capi = make.coordinator()
    admin = make.user(Role.ADMIN, capi, email="admin@capi.fr")
    with pytest.raises(ServiceError, match="ne convient pas"):
        create_user(admin.actor, "x@y.fr", "X", Role.AGENT, capi.id, "Un-bon-mot-2026")
    with pytest.raises(ServiceError, match="existe déjà"):
        create_user(admin.actor, "ADMIN@capi.fr", "X", Role.COORDINATOR, capi.id, "Un-bon-mot-2026")
    with pytest.raises(ServiceError, match="12 caractères"):
        create_user(admin.actor, "z@y.fr", "X", Role.COORDINATOR, capi.id, "court1")
    assert database.session.scalar(select(User).where(User.email == "x@y.fr")) is None


def test_audit_events_can_be_neither_changed_nor_deleted(database, make):
    capi = make.coordinator()
    admin = make.user(Role.ADMIN, capi)
    create_user(admin.actor, "n@capi.fr", "N", Role.COORDINATOR, capi.id, "Un-bon-mot-2026")
    database.session.commit()  # the request's unit of work
    event = database.session.scalars(select(AuditEvent)).first()
    event.action = "autre chose"
    with pytest.raises(AuditTrailIsAppendOnly):
        database.session.flush()
    database.session.rollback()
    database.session.delete(database.session.scalars(select(AuditEvent)).first())
    with pytest.raises(AuditTrailIsAppendOnly):
        database.session.flush()
