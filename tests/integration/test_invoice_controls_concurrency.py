"""The invoice controls under concurrent writers, on PostgreSQL: the service fait of one delivery
certified twice at once, and an invoice number imported twice at once in two spellings."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from groupement.core.errors import ServiceError
from groupement.invoices.importing import InvoiceRejected, import_invoice
from groupement.invoices.models import Invoice, ServiceFait
from groupement.invoices.service_fait import certify_delivery
from tests.integration.test_concurrency import run_together
from tests.integration.test_invoice_controls import bought  # noqa: F401  (the fixture)

pytestmark = [
    pytest.mark.real_commits,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql")),
        reason="concurrence vérifiée sur PostgreSQL seulement (DATABASE_URL) : SQLite sérialise les écritures",
    ),
]


def test_one_delivery_certified_twice_at_once_is_certified_once(app, bought, database):  # noqa: F811
    delivery_id, agent = bought.deliver(2, certify=False).id, bought.agent  # plain values for the threads
    database.session.commit()

    outcomes = run_together(app, [lambda: certify_delivery(agent, delivery_id).id for _ in range(2)])

    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"]
    error = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(error, ServiceError) and "certifié" in str(error)
    database.session.expire_all()
    assert database.session.scalar(select(func.count()).select_from(ServiceFait)) == 1


def test_two_spellings_of_one_number_imported_at_once_give_one_invoice(app, bought, database):  # noqa: F811
    contents = [bought.csv(number, [bought.laptops(1)]) for number in ("OVER-8", "over 8")]
    accountant = bought.accountant
    database.session.commit()

    outcomes = run_together(app, [lambda c=c: import_invoice(accountant, "f.csv", c).id for c in contents])

    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"]
    error = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(error, InvoiceRejected) and "doublon" in " ".join(error.reasons)
    database.session.expire_all()
    assert database.session.scalar(select(func.count()).select_from(Invoice)) == 1
