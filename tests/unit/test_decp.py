"""The DECP mapping (groupement/contracts/decp_json.py) against the official schema 2.0.3 and its examples.

tests/data/decp/ holds copies of the official schema and examples (shared/data/decp/).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from groupement.contracts.decp_json import (
    Considerations,
    DecpContract,
    DecpLine,
    considerations,
    contract_entry,
    document,
    dumps,
    main_cpv,
)
from groupement.organisations.families import Family

DATA = Path(__file__).resolve().parent.parent / "data" / "decp"
SCHEMA = json.loads((DATA / "schema_decp_v2.0.3.json").read_text(encoding="utf-8"))
VALIDATOR = Draft7Validator(SCHEMA, format_checker=Draft7Validator.FORMAT_CHECKER)
EXAMPLES = sorted((DATA / "exemples_officiels").glob("*.json"))
PUBLISHED_ON = date(2027, 3, 10)

LAPTOPS = DecpContract(
    number="2027-L01-001",
    lot_title="Postes de travail, écrans et accessoires",
    campaign_title="Recensement informatique 2027",
    family=Family.INFORMATIQUE,
    lines=(
        DecpLine("30213100-6", Decimal("84900.00")),
        DecpLine("30231300-0", Decimal("12900.00")),
        DecpLine("30231300-0", Decimal("6450.00")),
    ),
    buyer_siret="24380060400346",
    buyer_postcode="38081",
    supplier_siret="44306184100047",
    procedure="Appel d'offres ouvert",
    ccag="Fournitures courantes et services",
    offers_received=3,
    duration_months=48,
    notified_on=date(2027, 2, 15),
    maximum_amount=Decimal("125000.5"),
    social_considerations="Pas de considération sociale",
    environmental_considerations="Critère environnemental",
)
VANS = replace(
    LAPTOPS,
    number="2027-L07-002",
    lot_title="Véhicules utilitaires électriques",
    family=Family.VEHICULES,
    lines=(DecpLine("34144900-7", Decimal("180000.00")),),
    maximum_amount=Decimal("216000"),
    origin_eu_percent=Decimal("80.00"),
    origin_france_percent=Decimal("35.50"),
)


def errors_of(instance) -> list[str]:
    return [f"{list(error.absolute_path)}: {error.message}" for error in VALIDATOR.iter_errors(instance)]


def entry_of(contract: DecpContract) -> dict:
    mapped = contract_entry(contract, PUBLISHED_ON)
    assert mapped.missing == (), mapped.missing
    return mapped.entry


def test_the_official_schema_is_a_valid_draft_7_schema():
    Draft7Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_every_official_example_validates_against_the_schema(example):
    assert errors_of(json.loads(example.read_text(encoding="utf-8"))) == []


def test_the_validator_does_reject_a_document_breaking_the_schema():
    broken = document([{**entry_of(LAPTOPS), "montantTTC": 1}])  # no extra key allowed
    assert any("montantTTC" in error for error in errors_of(broken))


def test_a_plain_contract_becomes_an_entry_that_validates_through_its_json_text():
    text = dumps(document([entry_of(LAPTOPS)]))
    parsed = json.loads(text)
    assert errors_of(parsed) == []
    assert list(parsed) == ["marches"] and list(parsed["marches"]) == ["marche"]
    entry = parsed["marches"]["marche"][0]
    assert entry["id"] == "2027-L01-001"
    assert entry["acheteur"] == {"id": "24380060400346"}
    assert entry["techniques"] == {"technique": ["Accord-cadre"]}
    assert entry["modalitesExecution"] == {"modaliteExecution": ["Bons de commande"]}
    assert entry["procedure"] == "Appel d'offres ouvert"
    assert entry["dureeMois"] == 48
    assert entry["dateNotification"] == "2027-02-15" and entry["datePublicationDonnees"] == "2027-03-10"
    assert entry["titulaires"] == [{"titulaire": {"typeIdentifiant": "SIRET", "id": "44306184100047"}}]
    assert entry["considerationsSociales"] == {"considerationSociale": ["Pas de considération sociale"]}
    assert entry["considerationsEnvironnementales"] == {"considerationEnvironnementale": ["Critère environnemental"]}
    assert entry["lieuExecution"] == {"code": "38081", "typeCode": "Code postal"}
    assert entry["objet"] == "Postes de travail, écrans et accessoires — Recensement informatique 2027"
    assert entry["formePrix"] == "Unitaire" and entry["nature"] == "Marché"


def test_every_field_the_schema_requires_is_mapped():
    required = SCHEMA["definitions"]["marche"]["required"]
    assert set(required) <= set(entry_of(LAPTOPS))


def test_the_amount_is_the_maximum_ht_written_as_a_json_number_with_two_decimals_never_through_a_float():
    text = dumps(document([entry_of(LAPTOPS)]))
    assert '"montant": 125000.50' in text
    assert json.loads(text, parse_float=Decimal)["marches"]["marche"][0]["montant"] == Decimal("125000.50")


def test_a_float_in_a_document_is_refused():
    with pytest.raises(TypeError, match="Decimal"):
        dumps({"montant": 1.5})


def test_the_json_text_is_french_readable_utf8_and_compact_when_asked():
    text = dumps({"objet": "Écrans", "liste": [], "vrai": True, "rien": None}, indent=None)
    assert text == '{"objet":"Écrans","liste":[],"vrai":true,"rien":null}'


def test_the_contract_id_is_the_stored_number_and_at_most_16_characters():
    assert entry_of(LAPTOPS)["id"] == contract_entry(LAPTOPS, date(2028, 1, 1)).entry["id"]  # stable
    too_long = contract_entry(replace(LAPTOPS, number="2027-LOT01-AB-1234"), PUBLISHED_ON)
    assert too_long.entry is None
    assert too_long.missing == ("id : le numéro « 2027-LOT01-AB-1234 » dépasse 16 caractères",)


def test_the_cpv_is_the_code_of_most_lines_then_of_the_larger_amount():
    assert main_cpv(LAPTOPS.lines) == "30231300-0"  # two screen lines against one laptop line
    tie = (DecpLine("30213100-6", Decimal("100")), DecpLine("30231300-0", Decimal("900")))
    assert main_cpv(tie) == "30231300-0"
    assert main_cpv(()) is None
    assert entry_of(LAPTOPS)["codeCPV"] == "30231300-0"


def test_origins_are_published_as_shares_for_vehicles_only():
    vans = entry_of(VANS)
    assert vans["origineUE"] == Decimal("0.8000") and vans["origineFrance"] == Decimal("0.3550")
    assert errors_of(json.loads(dumps(document([vans])))) == []
    laptops = entry_of(replace(LAPTOPS, origin_eu_percent=Decimal("50"), origin_france_percent=Decimal("10")))
    assert "origineUE" not in laptops and "origineFrance" not in laptops


def test_a_vehicles_contract_without_its_origins_is_incomplete():
    mapped = contract_entry(replace(VANS, origin_eu_percent=None, origin_france_percent=None), PUBLISHED_ON)
    assert mapped.entry is None
    assert mapped.missing == (
        "origineUE : part des produits d'origine UE (véhicules) non renseignée",
        "origineFrance : part des produits d'origine France (véhicules) non renseignée",
    )


def test_a_french_share_above_the_european_share_is_refused():
    mapped = contract_entry(replace(VANS, origin_france_percent=Decimal("90")), PUBLISHED_ON)
    assert mapped.entry is None
    assert mapped.missing == ("origineFrance : la part française ne peut pas dépasser la part de l'Union européenne",)


def test_missing_data_is_listed_and_nothing_is_exported():
    incomplete = replace(
        LAPTOPS,
        buyer_siret=None,
        supplier_siret="44306184100048",  # wrong Luhn key
        buyer_postcode="",
        procedure="Procédure adaptée, publicité libre",  # the advice's wording, not DECP's
        ccag="CCAG-FCS",
        social_considerations="Clause sociale ; Insertion",
        environmental_considerations="",
        lines=(),
    )
    mapped = contract_entry(incomplete, PUBLISHED_ON)
    assert mapped.entry is None
    assert [message.split(" : ")[0] for message in mapped.missing] == [
        "acheteur.id",
        "titulaires",
        "codeCPV",
        "procedure",
        "ccag",
        "lieuExecution",
        "considerationsSociales",
        "considerationsEnvironnementales",
    ]
    assert "SIRET du coordonnateur (acheteur) non renseigné" in mapped.missing[0]
    assert "clé de contrôle incorrecte" in mapped.missing[1]
    assert "« Insertion » n'est pas une valeur de la liste DECP" in mapped.missing[6]


def test_several_considerations_may_be_stored_but_no_consideration_stands_alone():
    both = entry_of(replace(LAPTOPS, social_considerations="Clause sociale; Critère social"))
    assert both["considerationsSociales"] == {"considerationSociale": ["Clause sociale", "Critère social"]}
    mixed = contract_entry(
        replace(LAPTOPS, social_considerations="Clause sociale;Pas de considération sociale"), PUBLISHED_ON
    )
    assert mixed.missing == (
        "considerationsSociales : « Pas de considération sociale » ne peut pas accompagner une autre valeur",
    )


def test_an_empty_document_still_validates():
    assert errors_of(json.loads(dumps(document([])))) == []


# --- derived from the award, the lot and the contract ---------------------------------------------------


def test_considerations_are_derived_from_the_criteria_and_the_clauses_used():
    assert considerations(Considerations()) == ("Pas de considération sociale", "Pas de considération environnementale")
    assert considerations(Considerations(environmental_weight=Decimal("10"))) == (
        "Pas de considération sociale",
        "Critère environnemental",
    )
    assert considerations(Considerations(environmental_weight=Decimal("0"), environmental_clause=True))[1] == (
        "Clause environnementale"
    )
    everything = Considerations(
        environmental_weight=Decimal("10"),
        social_weight=Decimal("5"),
        social_clause=True,
        environmental_clause=True,
        reserved_market=True,
    )
    social, environmental = considerations(everything)
    entry = entry_of(replace(LAPTOPS, social_considerations=social, environmental_considerations=environmental))
    assert entry["considerationsSociales"] == {
        "considerationSociale": ["Critère social", "Clause sociale", "Marché réservé"]
    }
    assert entry["considerationsEnvironnementales"] == {
        "considerationEnvironnementale": ["Critère environnemental", "Clause environnementale"]
    }
    assert errors_of(document([entry])) == []


@pytest.mark.parametrize("price_type", ["Définitif ferme", "Définitif actualisable", "Définitif révisable"])
def test_types_prix_is_the_contracts_price_type(price_type):
    entry = entry_of(replace(LAPTOPS, price_type=price_type))
    assert entry["typesPrix"] == {"typePrix": [price_type]}
    assert errors_of(document([entry])) == []


def test_a_price_type_outside_the_schema_is_missing_data():
    mapped = contract_entry(replace(LAPTOPS, price_type="Ferme"), PUBLISHED_ON)
    assert mapped.entry is None
    assert mapped.missing == ("typesPrix : « Ferme » n'est pas une valeur de la liste DECP",)


def test_the_publication_date_is_the_first_one_when_the_contract_was_published_before():
    assert entry_of(LAPTOPS)["datePublicationDonnees"] == "2027-03-10"  # never published: today
    again = contract_entry(replace(LAPTOPS, first_published_on=date(2027, 2, 20)), PUBLISHED_ON).entry
    assert again["datePublicationDonnees"] == "2027-02-20"
