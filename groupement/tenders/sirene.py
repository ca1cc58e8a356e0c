"""A supplier's name and address from its SIRET, read from the public SIRENE data.

The API « Recherche d'entreprises » (https://recherche-entreprises.api.gouv.fr, no key): one GET
with a short timeout. The SIRET is checked (Luhn key, stdnum) before any call. Whatever goes
wrong (no network, timeout, an error status, an answer of another shape), a French
SireneUnavailable: the supplier form stays usable, filled by hand.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from flask import current_app

from groupement.core.errors import ServiceError
from groupement.core.identifiers import InvalidIdentifier, clean_siret

SEARCH_URL = "https://recherche-entreprises.api.gouv.fr/search"
TIMEOUT_SECONDS = 3
MAX_ANSWER_BYTES = 1_000_000


class SireneUnavailable(ServiceError):
    """The public data could not be read: fill the form by hand."""


class SiretNotFound(ServiceError):
    pass


@dataclass(frozen=True)
class Establishment:
    siret: str
    name: str
    address: str
    postcode: str
    city: str


def _fetch(url: str, timeout: float) -> bytes:
    """The answer's body (bounded); the tests replace this function (no network in CI).

    SIRENE_LOOKUP off (the test suite's setting, or an instance without network): no call."""
    if not current_app.config.get("SIRENE_LOOKUP", True):
        raise OSError("SIRENE_LOOKUP désactivé")
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "groupement"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (a fixed https URL)
        return response.read(MAX_ANSWER_BYTES + 1)


def lookup_siret(raw_siret: str) -> Establishment:
    """The establishment of this SIRET in the public data; InvalidIdentifier before any call when
    the SIRET cannot be one, SiretNotFound when the data do not know it, SireneUnavailable else."""
    siret = clean_siret(raw_siret)
    url = f"{SEARCH_URL}?{urllib.parse.urlencode({'q': siret})}"
    try:
        body = _fetch(url, TIMEOUT_SECONDS)
    except TimeoutError as error:
        raise SireneUnavailable(
            f"Le répertoire SIRENE n'a pas répondu dans les {TIMEOUT_SECONDS} secondes : "
            "saisissez la raison sociale et l'adresse vous-même, ou réessayez plus tard."
        ) from error
    except urllib.error.HTTPError as error:
        raise SireneUnavailable(
            f"Le répertoire SIRENE a refusé la demande (erreur {error.code}) : "
            "saisissez la raison sociale et l'adresse vous-même, ou réessayez plus tard."
        ) from error
    except (OSError, ValueError) as error:
        raise SireneUnavailable(
            "Le répertoire SIRENE est injoignable (pas d'accès au réseau depuis le serveur ?) : "
            "saisissez la raison sociale et l'adresse vous-même."
        ) from error
    return _establishment(siret, body)


def _establishment(siret: str, body: bytes) -> Establishment:
    malformed = SireneUnavailable(
        "Le répertoire SIRENE a donné une réponse illisible : saisissez la raison sociale et l'adresse vous-même."
    )
    if len(body) > MAX_ANSWER_BYTES:
        raise malformed
    try:
        answer = json.loads(body.decode("utf-8"))
        results = answer["results"]
        if not isinstance(results, list):
            raise TypeError
        for company in results:
            places = [*(company.get("matching_etablissements") or []), company.get("siege") or {}]
            for place in places:
                if not isinstance(place, dict):
                    raise TypeError("établissement attendu")
                if str(place.get("siret", "")) == siret:
                    return _read(siret, company, place)
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as error:
        raise malformed from error
    raise SiretNotFound(
        f"SIRET {siret} introuvable dans le répertoire SIRENE (établissement non diffusible ou fermé ?) : "
        "saisissez la raison sociale et l'adresse vous-même."
    )


def _text(value, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise TypeError("texte attendu")
    return " ".join(str(value).replace("\x00", "").split())[:limit]


def _read(siret: str, company: dict, place: dict) -> Establishment:
    name = _text(company.get("nom_raison_sociale") or company.get("nom_complet"), 200)
    if not name:
        raise ValueError("raison sociale absente")
    postcode = _text(place.get("code_postal"), 10)
    city = _text(place.get("libelle_commune"), 120)
    street = " ".join(
        part for part in (_text(place.get(key), 100) for key in ("numero_voie", "type_voie", "libelle_voie")) if part
    )
    if not street:  # only the one-line address: without its postcode and city
        street = _text(place.get("adresse"), 300)
        tail = f"{postcode} {city}".strip()
        if tail and street.upper().endswith(tail.upper()):
            street = street[: -len(tail)].strip()
    return Establishment(siret=siret, name=name, address=street[:300], postcode=postcode, city=city)


__all__ = ["Establishment", "InvalidIdentifier", "SireneUnavailable", "SiretNotFound", "lookup_siret"]
