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


def test_one_demo_contract_is_renewed_once_amended_once_and_revised_and_its_orders_at_the_revised_prices(database):
    from groupement.contracts.amendment_rules import Ground
    from groupement.contracts.life_models import ContractAmendment, ContractRenewal, PriceRevision
    from groupement.contracts.models import Order
    from groupement.contracts.revisions import prices_in_force

    load_demo()
    (renewal,) = database.session.scalars(select(ContractRenewal)).all()
    contract = renewal.contract
    assert renewal.renewed and contract.renewed_periods == 1 and contract.current_duration_months == 36
    (amendment,) = database.session.scalars(select(ContractAmendment)).all()
    assert amendment.contract_id == contract.id and amendment.ground is Ground.DE_MINIMIS
    assert contract.maximum_amount == amendment.maximum_after > contract.initial_maximum_amount
    (revision,) = database.session.scalars(select(PriceRevision)).all()
    assert revision.contract_id == contract.id and str(revision.coefficient) == "1.0272"
    orders = database.session.scalars(select(Order).where(Order.contract_id == contract.id)).all()
    assert orders and all(o.price_note == "" for o in orders)
    revised = prices_in_force(contract, paris_today()).unit_prices
    assert revised and all(line.unit_price == revised[line.contract_price_id] for o in orders for line in o.lines)
    assert all(line.unit_price != line.contract_price.unit_price for o in orders for line in o.lines)
    load_demo()  # idempotent: nothing decided twice
    assert database.session.query(ContractRenewal).count() == 1
