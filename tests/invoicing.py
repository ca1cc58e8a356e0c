"""Test helper: take an imported invoice through its controls as the accounting side would, so
that tests about what comes after (split, titles, payments, scope) can split it."""

from __future__ import annotations

from decimal import Decimal

from groupement.core.access import Actor, Role
from groupement.invoices.matching import blocking_checks, match_invoice, resolve_check
from groupement.invoices.scope import get_invoice
from groupement.invoices.states import CheckResolution

COMMENT = "Contrôlé par le test : anomalie acceptée pour la répartition."


def approve_for_split(actor: Actor, invoice_id: int, comment: str = COMMENT) -> list[int]:
    """Match the invoice, then accept each blocking anomaly with a comment, as the coordinator of
    the actor's organisation (the service fait override is its decision). The accepted checks' ids."""
    coordinator = Actor(None, Role.COORDINATOR, actor.organisation_id)
    match_invoice(coordinator, invoice_id)
    invoice = get_invoice(coordinator, invoice_id)
    accepted = []
    for check in blocking_checks(invoice):
        resolve_check(coordinator, check.id, CheckResolution.ACCEPTED, comment)
        accepted.append(check.id)
    return accepted


def simple_ubl(
    number: str,
    net: str,
    *,
    type_code: str = "380",
    prepaid: str = "0.00",
    order_reference: str = "BC-2026-0042",
    issue_date: str = "2026-06-17",
    seller_siret: str = "99999999800019",
) -> bytes:
    """A small EN 16931 UBL invoice of one line at 20 % (net HT `net`), valid for the official CEN
    rules, deducting `prepaid` (BT-113): for tests that need chosen figures."""
    from groupement.core.money import to_cents, vat_amount

    ht = Decimal(net)
    vat = vat_amount(ht, Decimal(20))
    ttc = to_cents(ht + vat)
    due = to_cents(ttc - Decimal(prepaid))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>{number}</cbc:ID>
  <cbc:IssueDate>{issue_date}</cbc:IssueDate>
  <cbc:DueDate>2026-07-16</cbc:DueDate>
  <cbc:InvoiceTypeCode>{type_code}</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>SERVICE-FIN</cbc:BuyerReference>
  <cac:OrderReference><cbc:ID>{order_reference}</cbc:ID></cac:OrderReference>
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PartyIdentification><cbc:ID schemeID="0009">{seller_siret}</cbc:ID></cac:PartyIdentification>
    <cac:PostalAddress><cbc:CityName>Lyon</cbc:CityName><cbc:PostalZone>69001</cbc:PostalZone>
      <cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
    <cac:PartyTaxScheme><cbc:CompanyID>FR11999999998</cbc:CompanyID>
      <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
    <cac:PartyLegalEntity><cbc:RegistrationName>Bureautique du Dauphiné</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party>
    <cac:PartyIdentification><cbc:ID schemeID="0009">24380060400346</cbc:ID></cac:PartyIdentification>
    <cac:PostalAddress><cbc:CityName>L'Isle-d'Abeau</cbc:CityName><cbc:PostalZone>38081</cbc:PostalZone>
      <cac:Country><cbc:IdentificationCode>FR</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
    <cac:PartyLegalEntity><cbc:RegistrationName>CAPI</cbc:RegistrationName></cac:PartyLegalEntity>
  </cac:Party></cac:AccountingCustomerParty>
  <cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>
    <cac:PayeeFinancialAccount><cbc:ID>FR7630006000011234567890189</cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="EUR">{vat}</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">{ht}</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">{vat}</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">{ht}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">{ht}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">{ttc}</cbc:TaxInclusiveAmount>
    <cbc:PrepaidAmount currencyID="EUR">{prepaid}</cbc:PrepaidAmount>
    <cbc:PayableAmount currencyID="EUR">{due}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">{ht}</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Ordinateurs portables (commande groupée)</cbc:Name>
      <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">{ht}</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
</Invoice>
""".encode()


def without_prepayment(content: bytes) -> bytes:
    """The UBL sample (308,03 € TTC) deducts a 100,00 € prepayment (BT-113), so its titles bill only
    the 208,03 € due: tests about titles and payments take it without that deduction."""
    return content.replace(
        b'<cbc:PrepaidAmount currencyID="EUR">100.00</cbc:PrepaidAmount>',
        b'<cbc:PrepaidAmount currencyID="EUR">0.00</cbc:PrepaidAmount>',
    ).replace(
        b'<cbc:PayableAmount currencyID="EUR">208.03</cbc:PayableAmount>',
        b'<cbc:PayableAmount currencyID="EUR">308.03</cbc:PayableAmount>',
    )
