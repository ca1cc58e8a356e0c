"""Two clicks at once in the supplier space, on both databases: one acknowledgment per order
(the unique constraint behind the check), and two declared deliveries never pass the order
together (the line is locked; SQLite queues its writers)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from groupement.contracts.models import Delivery
from groupement.core.errors import ServiceError
from groupement.core.timeutil import paris_today
from groupement.suppliers import orders
from groupement.suppliers.models import OrderAcknowledgment
from tests.integration.test_concurrency import run_together
from tests.integration.test_supplier_space import bench  # noqa: F401  (the shared fixture)

pytestmark = pytest.mark.real_commits


def test_two_acknowledgments_at_once_give_one(app, bench, database):  # noqa: F811
    supplier, order_id = bench.supplier_a, bench.order_a.id
    database.session.commit()  # and no read after it: an open SQLite reader would block the writers
    outcomes = run_together(app, [lambda: orders.acknowledge_order(supplier, order_id).id for _ in range(2)])
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    error = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(error, ServiceError) and "accusé reçu" in str(error)
    assert database.session.scalar(select(func.count()).select_from(OrderAcknowledgment)) == 1


def test_two_declarations_at_once_never_pass_the_order(app, bench, database):  # noqa: F811
    orders.acknowledge_order(bench.supplier_a, bench.order_a.id)
    supplier, line_id, today = bench.supplier_a, bench.order_a.lines[0].id, paris_today()  # 3 ordered
    database.session.commit()
    outcomes = run_together(app, [lambda: orders.declare_delivery(supplier, line_id, today, 2).id for _ in range(2)])
    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"], outcomes
    error = next(value for kind, value in outcomes if kind == "error")
    assert "2 reçus alors qu'il reste 1 à livrer sur 3 commandés" in str(error)
    database.session.expire_all()
    total = database.session.scalar(select(func.sum(Delivery.quantity)).where(Delivery.order_line_id == line_id))
    assert total == 2
