"""The settings of the documents over HTTP: the coordinator's letterhead and logo (checked by
content, at most 500 Ko, refused in French), the communes' Chorus Pro codes, and the documents
that carry them."""

from __future__ import annotations

import html
import io
import os
import re

from PIL import Image

from groupement.core.audit_log import AuditEvent
from groupement.extensions import db
from groupement.organisations.letterhead import letterhead_for
from groupement.organisations.models import Organisation
from tests.conftest import csrf_token_of
from tests.pdf_reading import pdf_text, pdf_to_png


def words(response) -> str:
    return " ".join(
        html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).replace("\u202f", " ").split()
    )


def png(width: int = 300, height: int = 100) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (0, 0, 145)).save(buffer, "PNG")
    return buffer.getvalue()


def post_letterhead(client, logo: tuple[bytes, str] | None, **fields):
    token = csrf_token_of(client.get("/parametres").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "name": "CAPI",
        "address": "17 avenue du Bourg",
        "postcode": "38080",
        "city": "L'Isle-d'Abeau",
        "siret": "200 042 679 00017",
        **fields,
    }
    if logo is not None:
        data["logo"] = (io.BytesIO(logo[0]), logo[1])
    return client.post("/parametres/en-tete", data=data, content_type="multipart/form-data")


def test_the_coordinator_sets_the_letterhead_and_its_logo_which_the_documents_carry(app, client_as, world):
    client = client_as("coordinator")
    response = post_letterhead(client, (png(), "logo.png"), name="Communauté d'agglomération Porte de l'Isère")
    assert response.status_code == 302
    with app.app_context():
        letterhead = letterhead_for(world.ids["capi"])
        stored = db.session.get(Organisation, world.ids["capi"])
        assert stored.logo_media_type == "image/png" and stored.logo == png()
        assert db.session.query(AuditEvent).filter_by(action="organisation.letterhead").count() == 1
    assert letterhead.name == "Communauté d'agglomération Porte de l'Isère"
    assert letterhead.address_lines == ("17 avenue du Bourg", "38080 L'Isle-d'Abeau")
    assert letterhead.siret == "20004267900017" and letterhead.logo_data_uri.startswith("data:image/png;base64,")
    statement = client.get(f"/factures/{world.ids['invoice']}/communes/{world.ids['commune_a']}/etat.pdf")
    assert statement.status_code == 200
    pdf_to_png(statement.data, "etat-de-repartition-avec-logo")
    text = " ".join(pdf_text(statement.data).split())
    assert "Communauté d'agglomération Porte de l'Isère" in text and "SIRET 20004267900017" in text


def test_a_logo_that_is_not_an_image_or_too_heavy_is_refused_in_french(app, client_as, world):
    client = client_as("coordinator")
    fake = post_letterhead(client, (b"%PDF-1.7 not an image" * 10, "logo.png"))
    assert fake.status_code == 422
    assert "Ce fichier n'est pas une image PNG ou JPEG lisible" in words(fake)
    heavy = io.BytesIO()
    Image.frombytes("RGB", (600, 600), os.urandom(600 * 600 * 3)).save(heavy, "PNG")  # noise: ~1 Mo
    assert len(heavy.getvalue()) > 500 * 1024
    big = post_letterhead(client, (heavy.getvalue(), "logo.png"))
    assert big.status_code == 422 and "Le logo dépasse 500 Ko" in words(big)
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    other = post_letterhead(client, (gif.getvalue(), "logo.gif"))
    assert (
        other.status_code == 422
        and "Le logo doit être une image PNG ou JPEG (ce fichier est une image GIF)" in words(other)
    )
    with app.app_context():
        assert db.session.get(Organisation, world.ids["capi"]).logo is None


def test_a_siret_of_the_wrong_length_is_refused(client_as, world):
    response = post_letterhead(client_as("coordinator"), None, siret="1234")
    assert response.status_code == 422 and "Le SIRET compte 14 chiffres." in words(response)


def test_the_commune_and_its_coordinator_set_its_chorus_code_and_another_commune_cannot(app, client_as, world):
    agent = client_as("agent_a")
    page = agent.get("/parametres")
    assert page.status_code == 200 and "Commune A" in words(page) and "Commune B" not in words(page)
    assert "En-tête des documents" not in words(page)
    token = csrf_token_of(page.get_data(as_text=True))
    done = agent.post(
        "/parametres/chorus", data={"csrf_token": token, "commune_id": world.ids["commune_a"], "code": "SERV-A-01"}
    )
    assert done.status_code == 302
    refused = agent.post(
        "/parametres/chorus", data={"csrf_token": token, "commune_id": world.ids["commune_b"], "code": "X"}
    )
    assert refused.status_code == 404
    coordinator = client_as("coordinator")
    token = csrf_token_of(coordinator.get("/parametres").get_data(as_text=True))
    coordinator.post(
        "/parametres/chorus", data={"csrf_token": token, "commune_id": world.ids["commune_b"], "code": "SERV-B"}
    )
    other = client_as("other_coordinator")
    token = csrf_token_of(other.get("/parametres").get_data(as_text=True))
    assert (
        other.post(
            "/parametres/chorus", data={"csrf_token": token, "commune_id": world.ids["commune_a"], "code": "Z"}
        ).status_code
        == 404
    )
    with app.app_context():
        assert db.session.get(Organisation, world.ids["commune_a"]).chorus_service_code == "SERV-A-01"
        assert db.session.get(Organisation, world.ids["commune_b"]).chorus_service_code == "SERV-B"


def test_another_coordinators_commune_gets_no_bon_de_commande_nor_statement(client_as, world):
    other = client_as("other_agent")
    assert other.get(f"/commandes/{world.ids['order_a']}/bon.pdf").status_code == 404
    assert other.get(f"/factures/{world.ids['invoice']}/communes/{world.ids['commune_a']}/etat.pdf").status_code == 404
    own = client_as("agent_a").get(f"/commandes/{world.ids['order_a']}/bon.pdf")
    assert own.status_code == 200 and "Références à rappeler sur la facture" in " ".join(pdf_text(own.data).split())


def test_the_engagement_number_typed_on_the_order_form_is_printed_on_the_bon_de_commande(client_as, world):
    client = client_as("agent_a")
    path = f"/commandes/nouvelle/{world.ids['contract']}"
    token = csrf_token_of(client.get(path).get_data(as_text=True))
    response = client.post(
        path,
        data={
            "csrf_token": token,
            "delivery_address": "Mairie de Commune A",
            "engagement_number": "EJ-2026-0042",
            f"quantite_{world.ids['contract_price']}": "1",
        },
    )
    assert response.status_code == 302, words(response)
    shown = client.get(response.headers["Location"])
    assert "N° d'engagement juridique EJ-2026-0042" in words(shown)
    pdf = client.get(response.headers["Location"] + "/bon.pdf")
    assert pdf.status_code == 200
    assert "N° d'engagement juridique EJ-2026-0042" in " ".join(pdf_text(pdf.data).split())
    too_long = client.post(
        path,
        data={
            "csrf_token": token,
            "delivery_address": "Mairie de Commune A",
            "engagement_number": "E" * 51,
            f"quantite_{world.ids['contract_price']}": "1",
        },
    )
    assert too_long.status_code == 422 and "50 caractères au plus." in words(too_long)
