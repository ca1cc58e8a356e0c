"""Sub-lines and per-line delivery places as real files carry them (issue 15): a UBL line's
cac:SubInvoiceLine details are summed only once (the sub-lines when they add up to their line,
else the line), and a line's own delivery place (CTC-FR UBL Delivery/DeliveryLocation, Factur-X
EXTENDED ShipToTradeParty) gives it to the member commune it names in the split. The files are the
public samples (tests/fixtures/invoices) with those elements added."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from groupement.core.access import Role
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.einvoice import parse_invoice
from groupement.invoices.einvoice.official_rules import check_file
from groupement.invoices.importing import import_invoice
from groupement.invoices.splitting import split_invoice
from tests.invoicing import approve_for_split

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "invoices"
D = Decimal
# The nougat line of the UBL sample: 20 × 6,90 = 138,00 € HT at 20 %.
NOUGAT_PRICE = '<cbc:PriceAmount currencyID="EUR">6.90</cbc:PriceAmount>'


def sub_line(n: int, quantity: int, amount: str, location: str) -> str:
    return f"""
    <cac:SubInvoiceLine>
      <cbc:ID>2.{n}</cbc:ID>
      <cbc:InvoicedQuantity unitCode="C62">{quantity}</cbc:InvoicedQuantity>
      <cbc:LineExtensionAmount currencyID="EUR">{amount}</cbc:LineExtensionAmount>
      <cac:Delivery><cac:DeliveryLocation>{location}</cac:DeliveryLocation></cac:Delivery>
      <cac:Item><cbc:Name>Nougats en cubes, livraison {n}</cbc:Name>
        <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20.00</cbc:Percent>
          <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>
      <cac:Price><cbc:PriceAmount currencyID="EUR">6.90</cbc:PriceAmount></cac:Price>
    </cac:SubInvoiceLine>"""


def address(city: str, postcode: str) -> str:
    return (
        f"<cac:Address><cbc:CityName>{city}</cbc:CityName><cbc:PostalZone>{postcode}</cbc:PostalZone>"
        "<cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country></cac:Address>"
    )


def ubl_with_sub_lines(first: str = "69.00", second: str = "69.00") -> bytes:
    text = (FIXTURES / "ubl21_en16931_fr.xml").read_text()
    subs = sub_line(1, 10, first, '<cbc:ID schemeID="0009">21380053000017</cbc:ID>') + sub_line(
        2, 10, second, address("Villefontaine", "38090")
    )
    # A SubInvoiceLine comes after the line's Price (UBL 2.1 InvoiceLine sequence).
    head, tail = text.rsplit("</cac:Price>", 1)
    return f"{head}</cac:Price>{subs}{tail}".encode()


@pytest.fixture
def members(make, database):
    capi = make.coordinator()
    group = make.groupement(capi)
    communes = {
        "38053": make.organisation(
            name="Bourgoin-Jallieu", insee_code="38053", siren="213800530", siret="21380053000017", population=29816
        ),
        "38553": make.organisation(
            name="Villefontaine", insee_code="38553", postcode="38090", city="Villefontaine", population=19018
        ),
    }
    for commune in communes.values():
        make.membership(group, commune)
    accountant = make.user(Role.ACCOUNTANT, capi).actor
    database.session.commit()
    return {"actor": accountant, "communes": communes}


def test_sub_lines_that_add_up_to_their_line_are_what_counts_and_the_line_their_group():
    data = parse_invoice(ubl_with_sub_lines(), "sous-lignes.xml")
    by_id = {line.line_id: line for line in data.lines}
    assert (by_id["2"].status, by_id["2.1"].status, by_id["2.2"].status) == ("GROUP", "DETAIL", "DETAIL")
    assert (by_id["2.1"].parent_id, by_id["2.1"].net_amount) == ("2", D("69.00"))
    assert sum(line.net_amount for line in data.counted_lines) == data.line_total == D("273.00")
    assert by_id["2.1"].delivery.siret == "21380053000017"
    assert (by_id["2.2"].delivery.postcode, by_id["2.2"].delivery.city) == ("38090", "Villefontaine")


def test_sub_lines_that_do_not_add_up_are_information_and_their_line_counts():
    data = parse_invoice(ubl_with_sub_lines("60.00", "69.00"), "sous-lignes.xml")
    by_id = {line.line_id: line for line in data.lines}
    assert (by_id["2"].status, by_id["2.1"].status, by_id["2.2"].status) == ("", "INFORMATION", "INFORMATION")
    assert sum(line.net_amount for line in data.counted_lines) == D("273.00")


def test_the_official_rules_and_the_reader_agree_on_the_file_with_sub_lines():
    official = check_file(ubl_with_sub_lines(), "sous-lignes.xml")
    assert official.artefact == "cen-ubl" and not official.fatal, [f.rule for f in official.fatal]


def test_each_sub_line_goes_to_the_commune_its_delivery_place_names_in_the_split(members):
    actor, communes = members["actor"], members["communes"]
    invoice = import_invoice(actor, "sous-lignes.xml", ubl_with_sub_lines())
    lines = {line.line_id: line for line in invoice.lines}
    assert set(lines) == {"1", "2.1", "2.2"}  # the GROUP line is not stored: its details are
    assert lines["2.1"].commune_id == communes["38053"].id  # by its SIRET
    assert lines["2.2"].commune_id == communes["38553"].id  # by its postcode and town
    assert lines["1"].commune_id is None
    [check] = [c for c in invoice.checks if c.rule == "LIVRAISON"]
    assert check.ok and "ligne 2.1 : Bourgoin-Jallieu; ligne 2.2 : Villefontaine" in check.message

    approve_for_split(actor, invoice.id)
    result = split_invoice(actor, invoice.id, AllocationKey.EQUAL)
    shares = {share.insee: share for share in result.communes}
    assert shares["38053"].lines["L2"] == D("69.00") and "L2" not in shares["38553"].lines
    assert shares["38553"].lines["L3"] == D("69.00") and "L3" not in shares["38053"].lines
    assert result.total_ttc == invoice.total_ttc


def test_a_factur_x_extended_line_shipped_to_a_commune_goes_to_it(members):
    text = (FIXTURES / "factur-x-lib" / "factur-x-extended.xml").read_text()
    ship_to = (
        "<ram:ShipToTradeParty><ram:Name>Mairie de Villefontaine</ram:Name><ram:PostalTradeAddress>"
        "<ram:PostcodeCode>38090</ram:PostcodeCode><ram:CityName>VILLEFONTAINE</ram:CityName>"
        "<ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress></ram:ShipToTradeParty>"
    )
    marker = '<ram:BilledQuantity unitCode="C62">1.0000</ram:BilledQuantity>'
    assert marker in text
    content = text.replace(marker, marker + ship_to, 1).encode()
    official = check_file(content, "extended.xml")
    assert official.artefact == "fx-extended" and not official.fatal, [f.rule for f in official.fatal]
    invoice = import_invoice(members["actor"], "extended.xml", content)
    first = next(line for line in invoice.lines if line.line_id == "1")
    assert first.commune_id == members["communes"]["38553"].id


def test_a_delivery_place_that_names_no_member_commune_leaves_the_line_to_the_key(members):
    text = (FIXTURES / "factur-x-lib" / "ubl-21-extended-ctc-fr.xml").read_bytes()
    invoice = import_invoice(members["actor"], "ctc-fr.xml", text)
    assert all(line.commune_id is None for line in invoice.lines)
    [check] = [c for c in invoice.checks if c.rule == "LIVRAISON"]
    assert check.ok and "05600 Eygliers" in check.message and "réparti(s) par clé" in check.message
