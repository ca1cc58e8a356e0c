"""The demonstration's framework contracts can be ordered against on the day the demo is loaded."""

from __future__ import annotations

from sqlalchemy import select

from groupement.contracts.models import Contract
from groupement.core.timeutil import paris_today
from groupement.demo.dataset import load_demo


def test_every_demo_contract_can_be_ordered_against_today(database):
    load_demo()
    contracts = database.session.scalars(select(Contract)).all()
    today = paris_today()
    assert contracts
    assert [c.number for c in contracts if not c.execution_period.open_on(today)] == []


def test_each_awarded_supplier_has_a_demo_login_that_sees_its_orders(database):
    from groupement.core.access import Role
    from groupement.demo.dataset import DEMO_PASSWORD
    from groupement.organisations.users import authenticate
    from groupement.suppliers import space

    logins = [login for login in load_demo() if login.role is Role.SUPPLIER]
    holders = {c.supplier.name for c in database.session.scalars(select(Contract))}
    assert sorted(login.organisation for login in logins) == sorted(holders)
    assert len({login.email for login in logins}) == len(logins)
    seen = 0
    for login in logins:
        user = authenticate(login.email, DEMO_PASSWORD)
        rows = space.order_rows(user.actor)
        assert {r.order.contract.supplier.name for r in rows} <= {login.organisation}
        seen += len(rows)
    assert seen > 0  # the demo's orders reach their suppliers' spaces
    assert [login.email for login in load_demo() if login.role is Role.SUPPLIER] == [x.email for x in logins]
