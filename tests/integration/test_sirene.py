"""The SIRENE client (recherche-entreprises), the HTTP replaced: no network in CI."""

from __future__ import annotations

import json
import urllib.error

import pytest

from groupement.core.identifiers import InvalidIdentifier
from groupement.tenders import sirene
from groupement.tenders.sirene import Establishment, SireneUnavailable, SiretNotFound, lookup_siret

SIRET = "20004267900015"


def answer(siret: str = SIRET, **place) -> bytes:
    establishment = {
        "siret": siret,
        "numero_voie": "17",
        "type_voie": "AV",
        "libelle_voie": "DU BOURG",
        "code_postal": "38080",
        "libelle_commune": "L'ISLE-D'ABEAU",
        "adresse": "17 AV DU BOURG 38080 L'ISLE-D'ABEAU",
        **place,
    }
    company = {
        "siren": siret[:9],
        "nom_complet": "COMMUNAUTE D'AGGLOMERATION PORTES DE L'ISERE (CAPI)",
        "nom_raison_sociale": "COMMUNAUTE D'AGGLOMERATION PORTES DE L'ISERE",
        "siege": {**establishment, "siret": siret[:9] + "00031"},
        "matching_etablissements": [establishment],
    }
    return json.dumps({"results": [company], "total_results": 1}).encode()


@pytest.fixture
def calls(monkeypatch):
    """The URLs asked; the answer is set by each test through `calls.reply`."""

    class Calls(list):
        reply: object = b""

    recorded = Calls()

    def fetch(url, timeout):
        recorded.append((url, timeout))
        if isinstance(recorded.reply, BaseException):
            raise recorded.reply
        return recorded.reply

    monkeypatch.setattr(sirene, "_fetch", fetch)
    return recorded


def test_a_known_siret_gives_the_name_and_the_establishments_address(calls):
    calls.reply = answer()

    found = lookup_siret("200 042 679 00015")

    assert found == Establishment(
        siret=SIRET,
        name="COMMUNAUTE D'AGGLOMERATION PORTES DE L'ISERE",
        address="17 AV DU BOURG",
        postcode="38080",
        city="L'ISLE-D'ABEAU",
    )
    (url, timeout), *_ = calls
    assert url == f"https://recherche-entreprises.api.gouv.fr/search?q={SIRET}" and timeout <= 5


def test_the_one_line_address_loses_its_postcode_and_city_when_the_parts_are_missing(calls):
    calls.reply = answer(numero_voie=None, type_voie=None, libelle_voie=None)

    assert lookup_siret(SIRET).address == "17 AV DU BOURG"


def test_a_siret_the_data_do_not_know_is_not_found_in_french(calls):
    calls.reply = json.dumps({"results": [], "total_results": 0}).encode()
    with pytest.raises(SiretNotFound, match="SIRET 20004267900015 introuvable"):
        lookup_siret(SIRET)
    calls.reply = answer(siret="20004267900023")  # another establishment of the same company
    with pytest.raises(SiretNotFound):
        lookup_siret(SIRET)


@pytest.mark.parametrize(
    "failure, message",
    [
        (TimeoutError("timed out"), "n'a pas répondu dans les 3 secondes"),
        (urllib.error.URLError("Name or service not known"), "injoignable"),
        (urllib.error.HTTPError("u", 429, "Too Many Requests", {}, None), "erreur 429"),
    ],
)
def test_no_network_a_timeout_or_an_error_status_say_to_fill_the_form_by_hand(calls, failure, message):
    calls.reply = failure
    with pytest.raises(SireneUnavailable, match=message) as refused:
        lookup_siret(SIRET)
    assert "saisissez la raison sociale et l'adresse vous-même" in str(refused.value)


@pytest.mark.parametrize(
    "body",
    [
        b"<html>maintenance</html>",
        b'{"results": 3}',
        b"[]",
        b'{"results": [{"siege": "x"}]}',
        b"\xff\xfe",
        b"{}",
        json.dumps({"results": [{"nom_complet": ["x"], "siege": {"siret": SIRET}}]}).encode(),
    ],
)
def test_an_answer_of_another_shape_is_unreadable_not_a_crash(calls, body):
    calls.reply = body
    with pytest.raises(SireneUnavailable, match="réponse illisible"):
        lookup_siret(SIRET)


@pytest.mark.parametrize("typed", ["20004267900016", "1234", "2000426790001A", ""])
def test_a_siret_with_a_wrong_key_or_length_is_refused_before_any_call(calls, typed):
    with pytest.raises(InvalidIdentifier, match="SIRET invalide"):
        lookup_siret(typed)
    assert calls == []


def test_with_the_lookup_switched_off_no_call_leaves_the_server(app):
    with app.app_context():
        assert app.config["SIRENE_LOOKUP"] is False  # the suite's setting
        with pytest.raises(SireneUnavailable, match="injoignable"):
            lookup_siret(SIRET)
