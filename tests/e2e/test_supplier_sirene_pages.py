"""« Remplir depuis le SIRET » on the supplier form: pre-filled from SIRENE, nothing written; the
form stays usable when the data cannot be read."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import func, select

from groupement.extensions import db
from groupement.tenders import sirene
from groupement.tenders.models import Supplier
from tests.conftest import csrf_token_of
from tests.integration.test_sirene import SIRET, answer


def _fill(client, path: str, siret: str, **data):
    token = csrf_token_of(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, "siret": siret, "remplir_siret": "1", **data})


def _suppliers(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Supplier))


@pytest.fixture
def reply(monkeypatch):
    box = {"reply": answer()}

    def fetch(url, timeout):
        if isinstance(box["reply"], BaseException):
            raise box["reply"]
        return box["reply"]

    monkeypatch.setattr(sirene, "_fetch", fetch)
    return box


def test_the_button_refills_the_new_supplier_form_without_writing_anything(client_as, world, app, reply):
    client = client_as("coordinator")
    before = _suppliers(app)
    page = client.get("/fournisseurs/nouveau").get_data(as_text=True)
    assert 'name="remplir_siret"' in page and "Remplir depuis le SIRET" in page

    response = _fill(client, "/fournisseurs/nouveau", "200 042 679 00015", contact_name="Mme Durand")

    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert "value=\"COMMUNAUTE D'AGGLOMERATION PORTES DE L'ISERE\"" in html
    assert 'value="17 AV DU BOURG"' in html and 'value="38080"' in html
    assert f'value="{SIRET}"' in html and 'value="Mme Durand"' in html  # what was typed is kept
    assert "remplies depuis le répertoire SIRENE" in html
    assert "La raison sociale est obligatoire." not in html  # the form is not finished: no errors
    assert _suppliers(app) == before


def test_offline_the_form_stays_usable_with_a_french_message(client_as, world, app, reply):
    reply["reply"] = OSError("Network is unreachable")
    client = client_as("coordinator")

    response = _fill(client, "/fournisseurs/nouveau", SIRET, name="Bureau Alpes")

    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert "Le répertoire SIRENE est injoignable" in html
    assert 'value="Bureau Alpes"' in html and "Enregistrer" in html


def test_a_wrong_siret_is_said_beside_the_field_and_nothing_is_asked(client_as, world, reply, monkeypatch):
    monkeypatch.setattr(sirene, "_fetch", lambda url, timeout: pytest.fail("aucun appel attendu"))

    response = _fill(client_as("coordinator"), "/fournisseurs/nouveau", "20004267900016")

    html = unescape(response.get_data(as_text=True))
    assert '<ul class="errors" id="siret-errors">' in html and "SIRET invalide" in html


def test_the_edit_form_has_the_button_too_and_the_accountant_cannot_use_it(client_as, world, app, reply):
    with app.app_context():
        supplier_id = db.session.scalar(select(Supplier.id).where(Supplier.coordinator_id == world.ids["capi"]))
    path = f"/fournisseurs/{supplier_id}/modifier"
    response = _fill(client_as("coordinator"), path, SIRET)
    assert response.status_code == 200
    assert "remplies depuis le répertoire SIRENE" in response.get_data(as_text=True)
    assert client_as("accountant").post(path, data={"remplir_siret": "1", "siret": SIRET}).status_code in (400, 403)
