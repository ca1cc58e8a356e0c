import pytest

from groupement.core.identifiers import (
    CpvNomenclature,
    InvalidIdentifier,
    clean_insee,
    clean_siren,
    clean_siret,
    siren_of_siret,
)

CPV = CpvNomenclature([("30213100-6", "Ordinateurs portables"), ("30213300-8", "Ordinateur de bureau")])


def test_a_cpv_code_in_the_nomenclature_is_accepted():
    assert CPV.validate(" 30213100-6 ") == "30213100-6"


def test_a_cpv_code_with_a_wrong_check_digit_is_refused_and_the_right_one_is_named():
    with pytest.raises(InvalidIdentifier, match="clé de contrôle incorrecte.*30213100-6"):
        CPV.validate("30213100-5")


@pytest.mark.parametrize("code", ["30213100", "3021310-6", "30213100-66", "ABCDEFGH-1", ""])
def test_a_malformed_cpv_code_is_refused_by_shape(code):
    with pytest.raises(InvalidIdentifier, match="mal formé"):
        CPV.validate(code)


def test_a_well_shaped_cpv_code_absent_from_the_list_is_refused():
    with pytest.raises(InvalidIdentifier, match="absent de la nomenclature"):
        CPV.validate("99999999-9")


def test_the_shipped_nomenclature_knows_the_codes_of_domain_facts():
    from groupement.catalog.reference_data import cpv_nomenclature

    nomenclature = cpv_nomenclature()
    assert len(nomenclature) == 9454
    for code in [
        "30213300-8",
        "30213100-6",
        "30231300-0",
        "30232110-8",
        "32420000-3",
        "30197630-1",
        "30192000-1",
        "30125100-2",
        "34110000-1",
        "34136000-9",
        "34144900-7",
    ]:
        assert code in nomenclature


def test_the_capi_siret_and_siren_are_valid_and_consistent():
    assert clean_siret("243 800 604 00346") == "24380060400346"
    assert clean_siren("243800604") == "243800604"
    assert siren_of_siret("24380060400346") == "243800604"


@pytest.mark.parametrize(
    ("value", "reason"),
    [("24380060400347", "clé de contrôle"), ("2438006040034", "longueur"), ("2438006040034A", "format")],
)
def test_a_bad_siret_is_refused_with_a_french_reason(value, reason):
    with pytest.raises(InvalidIdentifier, match=reason):
        clean_siret(value)


def test_a_siren_with_a_wrong_key_is_refused():
    with pytest.raises(InvalidIdentifier, match="SIREN invalide"):
        clean_siren("243800605")


@pytest.mark.parametrize("code", ["38053", "2A004", "2b033"])
def test_insee_codes_of_metropolitan_and_corsican_communes_are_accepted(code):
    assert clean_insee(code) == code.upper()


@pytest.mark.parametrize("code", ["3805", "380533", "38O53"])
def test_a_malformed_insee_code_is_refused(code):
    with pytest.raises(InvalidIdentifier):
        clean_insee(code)
