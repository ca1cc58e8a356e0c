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
