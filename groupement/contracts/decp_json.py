"""DECP, the essential data of public contracts (données essentielles de la commande publique):
framework contracts -> the national open-data format, ``schema_decp_v2.0.3.json`` (JSON Schema
draft-07; CCP R2196-1, arrêté du 22/12/2022).

Pure: plain dataclasses in (mapped from the database by contracts/decp.py), a dict and its JSON
text out. No database, no Flask.

The document is ``{"marches": {"marche": [...]}}`` and nothing else: the schema forbids any other
key on a contract (``additionalProperties: false``), so only its own field names appear.

One contract, field by field (every field the schema REQUIRES, and the optional ones we know):

- ``id``: the contract number, stored once at award (1 to 16 characters): stable across exports.
- ``acheteur.id``: the coordinator's SIRET (for a groupement, the member that ran the procedure),
  checked with its Luhn key.
- ``nature`` "Marché"; ``formePrix`` "Unitaire" (a price schedule, BPU); ``techniques``
  ["Accord-cadre"]; ``modalitesExecution`` ["Bons de commande"].
- ``objet``: "<lot title> — <campaign title>", cut to 1 000 characters.
- ``codeCPV``: ``main_cpv``, the CPV code carried by most of the lot's counted lines (ties: the
  larger estimated amount, then the smaller code), written as stored, with its check digit (the
  code was validated against the CPV list at catalog import; the official examples keep it too).
- ``ccag``, ``procedure``: as stored on the lot and the contract; each must be a value of the
  schema's list (the procedure advice's own labels are not).
- ``offresRecues`` (≥ 1), ``dureeMois`` (≥ 1), ``dateNotification`` (AAAA-MM-JJ).
- ``datePublicationDonnees``: the day the contract's data were FIRST published (stored on the
  contract at its first export and kept after, as the schema says); the day of the export for a
  contract never published before.
- ``montant``: the framework agreement's maximum HT, 2 decimals (≥ 1).
- ``lieuExecution``: the coordinator's postcode, typeCode "Code postal".
- ``titulaires``: [{"titulaire": {"typeIdentifiant": "SIRET", "id": <supplier SIRET>}}].
- ``considerationsSociales`` / ``considerationsEnvironnementales``: derived (``considerations``)
  from what the award actually used: an award criterion with a weight above zero ("Critère
  environnemental", "Critère social") and the clauses recorded on the lot ("Clause sociale",
  "Marché réservé", "Clause environnementale"); "Pas de considération ..." when none, and then
  alone. Several values are carried separated by ";"; each must be a value of the schema's list.
- ``typesPrix``: the contract's price type (ferme, actualisable, révisable), one of the schema's
  values.
- ``origineUE`` / ``origineFrance``: vehicles only (the arrêté lists food, vehicles, health products
  and clothing; the groupement buys only vehicles among them): the shares stored in per cent,
  published as 0..1 (80 % -> 0.8000), France ≤ UE. Required for a vehicles contract, never written
  for another.
- ``marcheInnovant``, ``attributionAvance``, ``tauxAvance``, ``typeGroupementOperateurs``,
  ``sousTraitanceDeclaree``: not recorded by the application; ``ASSUMED`` gives what is
  published and why.

Whatever cannot be derived makes the contract *incomplete*: ``contract_entry`` then returns no
entry, only the list of what is missing (French, "field : reason"). A contract is never exported
half-empty.

Numbers. JSON has one number type and the ``json`` module writes a Decimal only through a float
(``default=`` must return a serialisable object, and a float subclass cannot choose its own text:
the encoder calls ``float.__repr__`` directly). ``dumps`` therefore writes the JSON text itself:
Decimals become numbers written from their own digits (``125000.00``, ``0.8000``), never through a
float and never in exponent form; a float anywhere in the document is a programming error.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from groupement.core.identifiers import InvalidIdentifier, clean_siret
from groupement.core.money import round_half_up, to_cents
from groupement.organisations.families import Family

SCHEMA_VERSION = "2.0.3"

NATURE = "Marché"
TECHNIQUE = "Accord-cadre"
MODALITE_EXECUTION = "Bons de commande"
FORME_PRIX = "Unitaire"
LIEU_TYPE_CODE = "Code postal"
TITULAIRE_ID_TYPE = "SIRET"

# Facts the application does not record (no column for them), published as assumed here. Each is
# what the application itself enforces or builds: one titulaire per contract, orders priced at the
# no advance and no subcontracting managed. Record them on the contract to publish anything else.
ASSUMED: dict[str, Any] = {
    "marcheInnovant": False,
    "attributionAvance": False,
    "tauxAvance": Decimal("0"),
    "typeGroupementOperateurs": "Pas de groupement",
    "sousTraitanceDeclaree": False,
}

# The schema's enumerations (schema_decp_v2.0.3.json, definitions/marche).
PROCEDURES = frozenset(
    {
        "Procédure adaptée",
        "Appel d'offres ouvert",
        "Appel d'offres restreint",
        "Procédure avec négociation",
        "Marché passé sans publicité ni mise en concurrence préalable",
        "Dialogue compétitif",
    }
)
CCAGS = frozenset(
    {
        "Travaux",
        "Maitrise d'œuvre",
        "Fournitures courantes et services",
        "Marchés industriels",
        "Prestations intellectuelles",
        "Techniques de l'information et de la communication",
        "Pas de CCAG",
    }
)
NO_SOCIAL = "Pas de considération sociale"
SOCIAL_CONSIDERATIONS = frozenset({"Clause sociale", "Critère social", "Marché réservé", NO_SOCIAL})
NO_ENVIRONMENTAL = "Pas de considération environnementale"
ENVIRONMENTAL_CONSIDERATIONS = frozenset({"Clause environnementale", "Critère environnemental", NO_ENVIRONMENTAL})
CONSIDERATION_SEPARATOR = ";"
SOCIAL_CRITERION = "Critère social"
SOCIAL_CLAUSE = "Clause sociale"
RESERVED_MARKET = "Marché réservé"
ENVIRONMENTAL_CRITERION = "Critère environnemental"
ENVIRONMENTAL_CLAUSE = "Clause environnementale"
# typePrixArray of the schema ("Provisoire" is not a price a framework contract's orders are paid at).
PRICE_TYPES = frozenset({"Définitif ferme", "Définitif actualisable", "Définitif révisable", "Provisoire"})

ID_MAX_LENGTH = 16
OBJET_MAX_LENGTH = 1000
CPV_PATTERN = re.compile(r"^[0-9]{8}(-[0-9])?$")
POSTCODE_PATTERN = re.compile(r"^[0-9]{5}$")
CENT = Decimal("0.01")
SHARE_STEP = Decimal("0.0001")
ORIGIN_FAMILIES = frozenset({Family.VEHICULES})


@dataclass(frozen=True)
class DecpLine:
    """A counted line of the contract's lot (excluded lines are not part of the tender)."""

    cpv_code: str
    amount_ht: Decimal  # estimated amount of the line, for the CPV tie-break


@dataclass(frozen=True)
class DecpModification:
    """One modification after the first publication (an amendment or a renewal), in the order of
    notification: the contract's maximum HT and duration in months after it."""

    notified_on: date
    published_on: date | None  # None: this export publishes it first
    maximum_amount: Decimal
    duration_months: int


@dataclass(frozen=True)
class DecpContract:
    number: str
    lot_title: str
    campaign_title: str
    family: Family
    lines: tuple[DecpLine, ...]
    buyer_siret: str | None  # the coordinator's
    buyer_postcode: str
    supplier_siret: str | None
    procedure: str
    ccag: str
    offers_received: int
    duration_months: int
    notified_on: date
    maximum_amount: Decimal
    social_considerations: str
    environmental_considerations: str
    origin_eu_percent: Decimal | None = None
    origin_france_percent: Decimal | None = None
    price_type: str = "Définitif ferme"
    first_published_on: date | None = None  # None: never published, this export is the first
    modifications: tuple[DecpModification, ...] = ()  # maximum_amount above is the initial one


@dataclass(frozen=True)
class Considerations:
    """What the award of a lot used, as the DECP considerations are derived from."""

    environmental_weight: Decimal | None = None  # of the award criteria (None: no criteria fixed)
    social_weight: Decimal | None = None
    social_clause: bool = False
    environmental_clause: bool = False
    reserved_market: bool = False

    @property
    def social(self) -> list[str]:
        values = [SOCIAL_CRITERION] if (self.social_weight or 0) > 0 else []
        values += [SOCIAL_CLAUSE] if self.social_clause else []
        values += [RESERVED_MARKET] if self.reserved_market else []
        return values or [NO_SOCIAL]

    @property
    def environmental(self) -> list[str]:
        values = [ENVIRONMENTAL_CRITERION] if (self.environmental_weight or 0) > 0 else []
        values += [ENVIRONMENTAL_CLAUSE] if self.environmental_clause else []
        return values or [NO_ENVIRONMENTAL]


def considerations(used: Considerations) -> tuple[str, str]:
    """(social, environmental) considerations as carried by DecpContract (";"-separated)."""
    return CONSIDERATION_SEPARATOR.join(used.social), CONSIDERATION_SEPARATOR.join(used.environmental)


@dataclass(frozen=True)
class MappedContract:
    """Either an entry for the document, or what is missing (never both)."""

    number: str
    entry: dict[str, Any] | None
    missing: tuple[str, ...]


def main_cpv(lines: Sequence[DecpLine]) -> str | None:
    """The CPV code carried by most lines; ties: the larger summed amount, then the smaller code."""
    if not lines:
        return None
    counts: Counter[str] = Counter()
    amounts: dict[str, Decimal] = {}
    for line in lines:
        code = line.cpv_code.strip()
        counts[code] += 1
        amounts[code] = amounts.get(code, Decimal(0)) + line.amount_ht
    return min(counts, key=lambda code: (-counts[code], -amounts[code], code))


def iso_date(value: date) -> str:
    return value.strftime("%Y-%m-%d")


def contract_entry(contract: DecpContract, published_on: date) -> MappedContract:
    """The DECP entry of one contract, or the list of what keeps it from being published."""
    missing: list[str] = []

    def require(condition: bool, message: str) -> None:
        if not condition:
            missing.append(message)

    number = (contract.number or "").strip()
    require(bool(number), "id : numéro du marché non renseigné")
    require(len(number) <= ID_MAX_LENGTH, f"id : le numéro « {number} » dépasse {ID_MAX_LENGTH} caractères")

    buyer = _siret(contract.buyer_siret, "acheteur.id", "SIRET du coordonnateur (acheteur)", missing)
    supplier = _siret(contract.supplier_siret, "titulaires", "SIRET du titulaire", missing)

    cpv = main_cpv(contract.lines)
    if cpv is None:
        missing.append("codeCPV : le lot n'a aucune ligne retenue")
    else:
        require(bool(CPV_PATTERN.match(cpv)), f"codeCPV : code « {cpv} » mal formé (8 chiffres, clé facultative)")

    require(contract.procedure in PROCEDURES, _not_a_value("procedure", contract.procedure))
    require(contract.ccag in CCAGS, _not_a_value("ccag", contract.ccag))
    require(contract.price_type in PRICE_TYPES, _not_a_value("typesPrix", contract.price_type))
    require(contract.offers_received >= 1, "offresRecues : au moins une offre reçue attendue")
    require(contract.duration_months >= 1, "dureeMois : durée d'au moins un mois attendue")
    postcode = (contract.buyer_postcode or "").strip()
    require(
        bool(POSTCODE_PATTERN.match(postcode)),
        "lieuExecution : code postal du coordonnateur non renseigné ou mal formé (5 chiffres)",
    )
    montant = to_cents(contract.maximum_amount)
    require(montant >= 1, "montant : montant maximum HT d'au moins 1 € attendu")

    social = _considerations(
        contract.social_considerations, SOCIAL_CONSIDERATIONS, NO_SOCIAL, "considerationsSociales", missing
    )
    environmental = _considerations(
        contract.environmental_considerations,
        ENVIRONMENTAL_CONSIDERATIONS,
        NO_ENVIRONMENTAL,
        "considerationsEnvironnementales",
        missing,
    )
    origins = _origins(contract, missing) if contract.family in ORIGIN_FAMILIES else {}

    if missing:
        return MappedContract(number, None, tuple(missing))
    objet = f"{contract.lot_title.strip()} — {contract.campaign_title.strip()}"[:OBJET_MAX_LENGTH]
    entry: dict[str, Any] = {
        "id": number,
        "acheteur": {"id": buyer},
        "nature": NATURE,
        "objet": objet,
        "codeCPV": cpv,
        "techniques": {"technique": [TECHNIQUE]},
        "modalitesExecution": {"modaliteExecution": [MODALITE_EXECUTION]},
        "marcheInnovant": ASSUMED["marcheInnovant"],
        "ccag": contract.ccag,
        "offresRecues": contract.offers_received,
        "attributionAvance": ASSUMED["attributionAvance"],
        "tauxAvance": ASSUMED["tauxAvance"],
        "typeGroupementOperateurs": ASSUMED["typeGroupementOperateurs"],
        "sousTraitanceDeclaree": ASSUMED["sousTraitanceDeclaree"],
        "procedure": contract.procedure,
        "lieuExecution": {"code": postcode, "typeCode": LIEU_TYPE_CODE},
        "dureeMois": contract.duration_months,
        "dateNotification": iso_date(contract.notified_on),
        "datePublicationDonnees": iso_date(contract.first_published_on or published_on),
        "montant": montant,
        "typesPrix": {"typePrix": [contract.price_type]},
        "formePrix": FORME_PRIX,
        **origins,
        "titulaires": [{"titulaire": {"typeIdentifiant": TITULAIRE_ID_TYPE, "id": supplier}}],
        "considerationsSociales": {"considerationSociale": social},
        "considerationsEnvironnementales": {"considerationEnvironnementale": environmental},
    }
    if contract.modifications:
        entry["modifications"] = modification_entries(contract.modifications, supplier, published_on)
    return MappedContract(number, entry, ())


def modification_entries(
    modifications: Sequence[DecpModification], supplier_siret: str | None, published_on: date
) -> list[dict[str, Any]]:
    """The DECP ``modifications`` block: ids 1, 2… in the order of notification, each with the new
    amount (2 decimals), the new duration and the holder (unchanged)."""
    ordered = sorted(modifications, key=lambda m: m.notified_on)
    return [
        {
            "modification": {
                "id": number,
                "dateNotificationModification": iso_date(m.notified_on),
                "datePublicationDonneesModification": iso_date(m.published_on or published_on),
                "montant": to_cents(m.maximum_amount),
                "dureeMois": m.duration_months,
                "titulaires": [{"titulaire": {"typeIdentifiant": TITULAIRE_ID_TYPE, "id": supplier_siret}}],
            }
        }
        for number, m in enumerate(ordered, start=1)
    ]


def document(entries: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The whole DECP document: only the "marches"/"marche" wrapper around the entries."""
    return {"marches": {"marche": list(entries)}}


def _siret(value: str | None, field: str, what: str, missing: list[str]) -> str | None:
    if not value or not value.strip():
        missing.append(f"{field} : {what} non renseigné")
        return None
    try:
        return clean_siret(value.strip())
    except InvalidIdentifier as error:
        missing.append(f"{field} : {what} invalide ({error})")
        return None


def _not_a_value(field: str, value: str) -> str:
    if not value:
        return f"{field} : non renseigné"
    return f"{field} : « {value} » n'est pas une valeur de la liste DECP"


def _considerations(stored: str, allowed: frozenset[str], none_value: str, field: str, missing: list[str]) -> list[str]:
    values: list[str] = []
    for part in (stored or "").split(CONSIDERATION_SEPARATOR):
        part = part.strip()
        if part and part not in values:
            values.append(part)
    if not values:
        missing.append(f"{field} : non renseignées (indiquer « {none_value} » s'il n'y en a pas)")
        return []
    unknown = [value for value in values if value not in allowed]
    for value in unknown:
        missing.append(_not_a_value(field, value))
    if not unknown and none_value in values and len(values) > 1:
        missing.append(f"{field} : « {none_value} » ne peut pas accompagner une autre valeur")
    return values


def _origins(contract: DecpContract, missing: list[str]) -> dict[str, Decimal]:
    eu = _share(contract.origin_eu_percent, "origineUE", "part des produits d'origine UE", missing)
    france = _share(contract.origin_france_percent, "origineFrance", "part des produits d'origine France", missing)
    if eu is None or france is None:
        return {}
    if france > eu:
        missing.append("origineFrance : la part française ne peut pas dépasser la part de l'Union européenne")
        return {}
    return {"origineUE": eu, "origineFrance": france}


def _share(percent: Decimal | None, field: str, what: str, missing: list[str]) -> Decimal | None:
    if percent is None:
        missing.append(f"{field} : {what} (véhicules) non renseignée")
        return None
    if not 0 <= percent <= 100:
        missing.append(f"{field} : {what} hors de 0 à 100 %")
        return None
    return round_half_up(percent / 100, SHARE_STEP)


# --- JSON text --------------------------------------------------------------------------------


def dumps(value: Any, indent: int | None = 2) -> str:
    """JSON text of a document of dicts, lists, str, int, bool, None and Decimal (as numbers)."""
    return _encode(value, indent, 0) + ("\n" if indent is not None else "")


def _encode(value: Any, indent: int | None, level: int) -> str:
    if value is None or isinstance(value, bool | str | int):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, float):
        raise TypeError("nombre à virgule flottante dans un document DECP : utiliser Decimal")
    if isinstance(value, dict):
        items = [
            f"{json.dumps(_key(key), ensure_ascii=False)}:{'' if indent is None else ' '}"
            f"{_encode(item, indent, level + 1)}"
            for key, item in value.items()
        ]
        return _container("{", "}", items, indent, level)
    if isinstance(value, list | tuple):
        return _container("[", "]", [_encode(item, indent, level + 1) for item in value], indent, level)
    raise TypeError(f"valeur non sérialisable dans un document DECP : {type(value).__name__}")


def _key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError("les clés d'un document DECP sont des chaînes")
    return key


def _container(opening: str, closing: str, items: list[str], indent: int | None, level: int) -> str:
    if not items:
        return opening + closing
    if indent is None:
        return opening + ",".join(items) + closing
    inner = "\n" + " " * (indent * (level + 1))
    return opening + inner + ("," + inner).join(items) + "\n" + " " * (indent * level) + closing


def decimal_text(value: Decimal) -> str:
    """A finite Decimal as a JSON number, from its own digits: 125000.00, 0.8000, 0 (no exponent)."""
    if not value.is_finite():
        raise ValueError(f"nombre non fini dans un document DECP : {value}")
    return format(value, "f")
