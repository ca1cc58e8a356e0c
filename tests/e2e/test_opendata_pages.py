"""The open-data page over HTTP: the contracts published in the DECP file, the incomplete ones with
what they lack, and the JSON download (valid against the official schema)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from groupement.core.jobs_runner import run_pending_jobs
from groupement.core.timeutil import paris_today
from groupement.extensions import db
from groupement.lots.models import Lot
from tests import factories
from tests.conftest import csrf_token_of
from tests.decp_schema import VALIDATOR


def decp_download(client):
    """The DECP file as the coordinator gets it: the POST starts the job, a worker runs it, the
    job page offers the file."""
    token = csrf_token_of(client.get("/donnees-essentielles").get_data(as_text=True))
    started = client.post("/donnees-essentielles/decp", data={"csrf_token": token})
    assert started.status_code == 303 and "/travaux/" in started.location
    run_pending_jobs(client.application)
    return client.get(started.location + "/resultat")


NOTIFIED = date(2026, 10, 1)


@pytest.fixture
def contracts(app, world):
    """Lot 1 awarded for 125 000 € (complete), lot 3 for 60 000 € to a supplier whose SIRET has a
    wrong key (incomplete), lot 2 for 30 000 € (below the threshold)."""
    with app.app_context():
        make = factories
        numbers = {}
        for key, amount in (("lot", "125000"), ("lot_3", "60000"), ("lot_2", "30000")):
            lot = db.session.get(Lot, world.ids[key])
            supplier = make.supplier(name=f"Titulaire {key}")
            if key == "lot_3":
                supplier.siret = "44306184100048"  # wrong Luhn key
            contract = make.contract(
                make.offer(lot, supplier), maximum_amount=Decimal(amount), notified_on=NOTIFIED, number=f"2026-{key}"
            )
            numbers[key] = contract.number
        db.session.commit()
        return numbers


def test_the_page_lists_published_and_incomplete_contracts_in_french(client_as, contracts):
    page = client_as("coordinator").get("/donnees-essentielles").get_data(as_text=True)
    assert "Marchés à publier (2)" in page
    assert "2026-lot" in page and "Titulaire lot" in page
    assert "125\u202f000,00\xa0€" in page and "01/10/2026" in page
    assert page.count("exporté, première publication au prochain téléchargement") == 1
    assert page.count("incomplet, non exporté") == 1
    assert "2026-lot_3" in page
    assert "titulaires : SIRET du titulaire invalide" in page
    assert "2026-lot_2" not in page  # 30 000 € : below the threshold
    assert 'action="/donnees-essentielles/decp"' in page
    assert " style=" not in page


def test_the_download_is_a_json_attachment_valid_against_the_official_schema(client_as, contracts):
    response = decp_download(client_as("accountant"))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    today = paris_today()
    assert response.headers["Content-Disposition"] == f'attachment; filename="decp-{today:%Y-%m-%d}.json"'
    document = json.loads(response.get_data(as_text=True))
    assert list(VALIDATOR.iter_errors(document)) == []
    [entry] = document["marches"]["marche"]
    assert entry["id"] == "2026-lot" and entry["acheteur"] == {"id": "24380060400346"}
    assert entry["datePublicationDonnees"] == f"{today:%Y-%m-%d}" and entry["dateNotification"] == "2026-10-01"
    assert '"montant": 125000.00' in response.get_data(as_text=True)


def test_without_contracts_the_page_says_so_and_the_file_is_an_empty_valid_document(client_as, world):
    client = client_as("admin")
    page = client.get("/donnees-essentielles").get_data(as_text=True)
    assert "Aucun marché notifié n&#39;atteint le seuil de publication pour le moment." in page
    assert "Marchés à publier (0)" in page and "incomplet" not in page
    document = json.loads(decp_download(client).get_data(as_text=True))
    assert document == {"marches": {"marche": []}}
    assert list(VALIDATOR.iter_errors(document)) == []


def test_the_navigation_links_the_page_for_the_coordinator_side_only(client_as, world):
    assert 'href="/donnees-essentielles"' in client_as("coordinator").get("/").get_data(as_text=True)
    assert 'href="/donnees-essentielles"' not in client_as("agent_a").get("/").get_data(as_text=True)


def test_the_first_download_stores_the_first_publication_date_and_later_ones_keep_it(client_as, contracts, app):
    from groupement.contracts.models import Contract

    client = client_as("coordinator")
    assert "au prochain téléchargement" in client.get("/donnees-essentielles").get_data(as_text=True)
    today = paris_today()
    with app.app_context():
        contract = db.session.scalar(db.select(Contract).where(Contract.number == contracts["lot"]))
        contract.first_published_on = date(2026, 10, 5)  # published once already, before
        db.session.commit()
    [entry] = json.loads(decp_download(client).get_data(as_text=True))["marches"]["marche"]
    assert entry["datePublicationDonnees"] == "2026-10-05"
    page = client.get("/donnees-essentielles").get_data(as_text=True)
    assert "05/10/2026" in page and "au prochain téléchargement" not in page
    with app.app_context():
        contract = db.session.scalar(db.select(Contract).where(Contract.number == contracts["lot"]))
        contract.first_published_on = None
        db.session.commit()
    decp_download(client)
    with app.app_context():
        assert db.session.scalar(db.select(Contract.first_published_on).where(Contract.number == contracts["lot"])) == (
            today
        )
