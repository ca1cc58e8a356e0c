from groupement.invoices.chorus_references import CommuneCode, OrderReference, match_references

ORDERS = [
    OrderReference("BC-2026-0001", "EJ-42", 1, "Four"),
    OrderReference("BC-2026-0002", "EJ-42", 1, "Four"),  # one engagement covering two orders
    OrderReference("BC-2026-0003", "EJ-ECL", 2, "Eclose-Badinières"),
    OrderReference("BC-2026-0004", "EJ-MIX", 1, "Four"),
    OrderReference("BC-2026-0005", "EJ-MIX", 2, "Eclose-Badinières"),
]
COMMUNES = [CommuneCode(1, "Four", "SERV-FOUR"), CommuneCode(2, "Eclose-Badinières", "SERV-ECL")]


def test_an_order_number_matches_by_number_whatever_the_case():
    found = match_references(["bc-2026-0001"], None, ORDERS, COMMUNES)
    assert found.ok and found.matched_by == {"bc-2026-0001": "number"}
    assert found.orders_by_reference == {"bc-2026-0001": ("BC-2026-0001",)}


def test_an_engagement_number_designates_every_order_it_covers():
    found = match_references(["EJ-42"], "SERV-FOUR", ORDERS, COMMUNES)
    assert found.ok
    assert found.orders_by_reference["EJ-42"] == ("BC-2026-0001", "BC-2026-0002")
    assert "par le numéro d'engagement « EJ-42 » (BT-13)" in found.message
    assert "code service Chorus Pro « SERV-FOUR » de Four (BT-10)" in found.message


def test_bt10_may_carry_the_engagement_number():
    assert match_references([], "EJ-ECL", ORDERS, COMMUNES).ok


def test_a_service_code_of_another_commune_than_the_orders_is_an_anomaly():
    found = match_references(["EJ-42"], "SERV-ECL", ORDERS, COMMUNES)
    assert not found.ok
    assert "désigne Eclose-Badinières mais le numéro d'engagement « EJ-42 » est de Four" in found.message


def test_an_engagement_number_of_two_communes_designates_none():
    found = match_references(["EJ-MIX"], None, ORDERS, COMMUNES)
    assert not found.ok and "plusieurs communes" in found.message


def test_an_unknown_reference_is_never_a_silent_match():
    found = match_references(["EJ-D-UN-AUTRE-COORDONNATEUR"], None, ORDERS, COMMUNES)
    assert not found.ok and found.orders_by_reference == {}
    assert "ni un numéro de commande ni un numéro d'engagement" in found.message


def test_an_unknown_bt10_alone_is_an_anomaly_beside_an_order_it_is_set_aside():
    assert not match_references([], "N/A", ORDERS, COMMUNES).ok
    beside = match_references(["BC-2026-0001"], "N/A", ORDERS, COMMUNES)
    assert beside.ok and "« N/A » (BT-10) inconnue, laissée de côté" in beside.message


def test_an_invoice_to_one_commune_quoting_another_communes_engagement_is_an_anomaly():
    found = match_references(["EJ-ECL"], None, ORDERS, COMMUNES, buyer_commune_id=1)
    assert not found.ok and "adressée à Four mais ses références désignent Eclose-Badinières" in found.message
    assert match_references(["EJ-42", "EJ-ECL"], None, ORDERS, COMMUNES).ok  # to the coordinator: several communes


def test_no_reference_at_all_leaves_the_lines_to_their_own_order_numbers():
    found = match_references([], None, ORDERS, COMMUNES)
    assert found.ok and "Aucune référence Chorus Pro" in found.message
