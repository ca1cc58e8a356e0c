"""The recovery titles through the pages: the due date refused in the form, a cancellation with
its reason, a double-clicked payment form, and the ledger of a share not titled yet."""

from __future__ import annotations

import html
import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from groupement.core.access import system_actor
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.importing import import_invoice
from groupement.invoices.models import Payment, RecoveryTitle
from groupement.invoices.splitting import split_invoice
from groupement.invoices.title_rules import TitleKind, TitleStatus
from groupement.organisations.models import Organisation
from tests.conftest import csrf_token_of
from tests.invoicing import approve_for_split

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "invoices"


def flat(page: str) -> str:
    """The page's text as a person reads it: entities decoded, every space a plain space."""
    return " ".join(html.unescape(page).replace("\u202f", " ").replace("\xa0", " ").split())


def words(page: str) -> str:
    """The page's words without its tags."""
    return flat(re.sub(r"<[^>]+>", " ", page))


def token(client, page: str = "/factures") -> str:
    return csrf_token_of(client.get(page).get_data(as_text=True))


def followed(client, response) -> str:
    assert response.status_code == 302, response.status_code
    return flat(client.get(response.headers["Location"]).get_data(as_text=True))


def test_the_titles_form_refuses_a_due_date_in_the_past(client_as, world):
    client = client_as("accountant")
    yesterday = paris_today() - timedelta(days=1)
    refused = client.post(
        f"/factures/{world.ids['invoice']}/titres",
        data={"csrf_token": token(client), "due_date": yesterday.isoformat()},
    )
    assert refused.status_code == 422  # the invoice page again, the error beside the due date
    page = flat(refused.get_data(as_text=True))
    assert f"La date d'échéance ({yesterday:%d/%m/%Y}) est passée" in page
    assert '<ul class="errors" id="due_date-errors">' in page


def test_a_title_is_cancelled_from_the_invoice_page_with_its_reason(app, client_as, world):
    client = client_as("accountant")
    title_id = world.ids["title_a"]
    page = flat(client.get(f"/factures/{world.ids['invoice']}").get_data(as_text=True))
    assert f'action="/factures/titres/{title_id}/annulation"' in page and "Motif de l'annulation" in page

    without_reason = client.post(f"/factures/titres/{title_id}/annulation", data={"csrf_token": token(client)})
    assert without_reason.status_code == 422  # the page again, the message beside the reason
    assert "Le motif de l'annulation est obligatoire" in flat(without_reason.get_data(as_text=True))
    cancelled = client.post(
        f"/factures/titres/{title_id}/annulation",
        data={"csrf_token": token(client), "reason": "Titre émis sur la mauvaise commune"},
    )
    page = followed(client, cancelled)
    with app.app_context():
        title = db.session.get(RecoveryTitle, title_id)
        counter = title.cancelled_by
        assert title.status is TitleStatus.CANCELLED and counter.kind is TitleKind.CANCELLATION
        number, counter_number = title.number, counter.number
    assert f"Titre {number} annulé par le titre d'annulation {counter_number}." in page
    assert f"titre d'annulation du titre {number}" in page and "Motif : Titre émis sur la mauvaise commune" in page
    ledger = flat(client.get(f"/communes/{world.ids['commune_a']}/grand-livre").get_data(as_text=True))
    assert f"annulé par {counter_number}" in ledger and counter_number in ledger and number in ledger
    statement = words(
        client_as("agent_a")
        .get(f"/factures/{world.ids['invoice']}/communes/{world.ids['commune_a']}")
        .get_data(as_text=True)
    )
    assert f"{number} titre de recettes" in statement and "annulé" in statement
    assert f"{counter_number} titre d'annulation du titre {number} (Titre émis sur la mauvaise commune)" in statement
    assert "-154,02 €" in statement


def test_a_share_not_yet_titled_shows_a_titrer_on_the_ledger(app, client_as, world):
    with app.app_context():
        actor = system_actor(world.ids["capi"])
        invoice = import_invoice(actor, "facture.pdf", (SAMPLES / "facturx_en16931_fr.pdf").read_bytes())
        codes = [db.session.get(Organisation, world.ids[key]).insee_code for key in ("commune_a", "commune_b")]
        approve_for_split(actor, invoice.id)
        split_invoice(actor, invoice.id, AllocationKey.EQUAL, codes)
        number = invoice.number
        db.session.commit()
    ledger = flat(client_as("agent_a").get("/ma-commune/factures").get_data(as_text=True))
    row = re.search(rf"{re.escape(number)}</a>.*?</tr>", ledger)
    assert row, ledger
    assert "à titrer" in row.group(0) and "0,00 €" not in row.group(0)
    assert "À titrer : 52,45 €" in ledger  # half of the 104,90 € sample
    titled = re.search(r"F124212</a>.*?</tr>", ledger).group(0)
    assert "154,02 €" in titled and "à titrer" not in titled  # titled, unpaid: what is due


@pytest.mark.real_commits
def test_a_double_submitted_payment_form_records_one_payment(app, client_as, world):
    title_id = world.ids["title_a"]
    clients = [client_as("accountant"), client_as("accountant")]
    tokens = [token(client) for client in clients]
    with app.app_context():
        amount = db.session.get(RecoveryTitle, title_id).amount_ttc
    form = {"paid_on": paris_today().isoformat(), "amount": f"{amount}".replace(".", ","), "reference": "Mandat 7"}
    barrier = threading.Barrier(2)
    responses: list = [None, None]

    def submit(index: int) -> None:
        barrier.wait(timeout=30)
        responses[index] = clients[index].post(
            f"/factures/titres/{title_id}/encaissement", data={**form, "csrf_token": tokens[index]}
        )

    threads = [threading.Thread(target=submit, args=(i,), daemon=True) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(r is not None and r.status_code == 302 for r in responses), responses

    pages = [
        flat(client.get(r.headers["Location"]).get_data(as_text=True))
        for client, r in zip(clients, responses, strict=True)
    ]
    recorded = [p for p in pages if "Encaissement de 154,02 € enregistré" in p]
    refused = [p for p in pages if "dépasse le reste dû de 0,00 €" in p or "Un autre enregistrement est en cours" in p]
    assert len(recorded) == 1 and len(refused) == 1, pages
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Payment.title_id == title_id)) == 1
        assert db.session.get(RecoveryTitle, title_id).paid_total == amount
