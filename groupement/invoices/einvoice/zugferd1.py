"""ZUGFeRD 1.0 (root CrossIndustryDocument, namespace urn:ferd:CrossIndustryDocument:invoice:1p0).

Neither factur-x nor drafthorse reads it (drafthorse writes and reads ZUGFeRD 2.x only); its
structure is the one of CII D16B under older names, so the document is renamed element by element
(a copy; the namespaces do not matter, the readers go by local names) and read by CiiReader:
HeaderExchangedDocument → ExchangedDocument, ApplicableSupplyChainTradeAgreement →
ApplicableHeaderTradeAgreement, SpecifiedSupplyChainTradeSettlement (line) →
SpecifiedLineTradeSettlement, ApplicablePercent → RateApplicablePercent, and so on.

What ZUGFeRD 1.0 leaves out and EN 16931 needs is completed from the document itself, never
invented: a text-only line (a note, no product and no amount) becomes an INFORMATION line, never
summed; a line without a net price takes its gross price, and without any price (BASIC) the
price net ÷ quantity; a line without its VAT (BASIC) takes the document's only rate (with several
rates it stays without one, and the reader says so); a rate without a category (BASIC) is S when
positive, E at 0 %; an absent amount due (BASIC) is the grand total − the prepaid amount; an
allowance written negative (as ZUGFeRD 1.0's own samples do) is read positive.
"""

from __future__ import annotations

import copy
from decimal import Decimal, DecimalException, InvalidOperation

from lxml import etree

from groupement.core.money import to_unit_price
from groupement.invoices.einvoice.xml_reader import children, local_name

NAMESPACE_MARK = "urn:ferd:crossindustrydocument"

_HEADER = {
    "CrossIndustryDocument": "CrossIndustryInvoice",
    "SpecifiedExchangedDocumentContext": "ExchangedDocumentContext",
    "HeaderExchangedDocument": "ExchangedDocument",
    "SpecifiedSupplyChainTradeTransaction": "SupplyChainTradeTransaction",
    "ApplicableSupplyChainTradeAgreement": "ApplicableHeaderTradeAgreement",
    "ApplicableSupplyChainTradeDelivery": "ApplicableHeaderTradeDelivery",
    "ApplicableSupplyChainTradeSettlement": "ApplicableHeaderTradeSettlement",
    "SpecifiedTradeSettlementMonetarySummation": "SpecifiedTradeSettlementHeaderMonetarySummation",
    "ApplicablePercent": "RateApplicablePercent",
}
_LINE = {
    "SpecifiedSupplyChainTradeAgreement": "SpecifiedLineTradeAgreement",
    "SpecifiedSupplyChainTradeDelivery": "SpecifiedLineTradeDelivery",
    "SpecifiedSupplyChainTradeSettlement": "SpecifiedLineTradeSettlement",
    "SpecifiedTradeSettlementMonetarySummation": "SpecifiedTradeSettlementLineMonetarySummation",
    "ApplicablePercent": "RateApplicablePercent",
}


def is_zugferd1(root) -> bool:
    return local_name(root) == "CrossIndustryDocument" and NAMESPACE_MARK in (etree.QName(root).namespace or "").lower()


def as_cii(root):
    """A copy of a ZUGFeRD 1.0 document under the CII D16B names CiiReader reads."""
    tree = copy.deepcopy(root)
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        in_line = any(local_name(a) == "IncludedSupplyChainTradeLineItem" for a in element.iterancestors())
        name = local_name(element)
        new = (_LINE if in_line else _HEADER).get(name)
        if name == "ID" and element.getparent() is not None:
            if local_name(element.getparent()) == "BuyerOrderReferencedDocument":
                new = "IssuerAssignedID"
        if new:
            element.tag = etree.QName(etree.QName(element).namespace, new).text
    for agreement in tree.iter("{*}SpecifiedLineTradeAgreement"):
        if next(children(agreement, "NetPriceProductTradePrice"), None) is None:
            gross = next(children(agreement, "GrossPriceProductTradePrice"), None)
            if gross is not None:
                net = copy.deepcopy(gross)
                net.tag = _same_namespace(gross, "NetPriceProductTradePrice")
                agreement.append(net)
    header_taxes = list(tree.iter("{*}ApplicableHeaderTradeSettlement"))
    taxes = [t for h in header_taxes for t in children(h, "ApplicableTradeTax")]
    for tax in taxes:
        if next(children(tax, "CategoryCode"), None) is None:
            rate = _decimal(_text(tax, "RateApplicablePercent"))
            _add(tax, "CategoryCode", "S" if rate else "E")
    for item in tree.iter("{*}IncludedSupplyChainTradeLineItem"):
        _complete_line(item, taxes)
    for charge in tree.iter("{*}SpecifiedTradeAllowanceCharge"):
        # ZUGFeRD 1.0 writes an allowance's amount negative (its own samples do); EN 16931 positive.
        for amount in children(charge, "ActualAmount"):
            if amount.text and amount.text.strip().startswith("-"):
                amount.text = amount.text.strip()[1:]
    for totals in tree.iter("{*}SpecifiedTradeSettlementHeaderMonetarySummation"):
        if next(children(totals, "DuePayableAmount"), None) is None:
            try:
                due = _decimal(_text(totals, "GrandTotalAmount")) - _decimal(_text(totals, "TotalPrepaidAmount"))
            except DecimalException:  # an absurd figure: left absent, the reader names it
                continue
            _add(totals, "DuePayableAmount", str(due))
    return tree


def _complete_line(item, header_taxes) -> None:
    settlement = next(children(item, "SpecifiedLineTradeSettlement"), None)
    summation = next(children(settlement, "SpecifiedTradeSettlementLineMonetarySummation"), None)
    document = next(children(item, "AssociatedDocumentLineDocument"), None)
    if next(children(item, "SpecifiedTradeProduct"), None) is None and summation is None:
        if document is None:
            document = _add(item, "AssociatedDocumentLineDocument")
        _add(document, "LineStatusReasonCode", "INFORMATION")
        return
    if settlement is not None and next(children(settlement, "ApplicableTradeTax"), None) is None:
        if len(header_taxes) == 1:
            tax = _add(settlement, "ApplicableTradeTax")
            for name in ("TypeCode", "CategoryCode", "RateApplicablePercent"):
                if (value := _text(header_taxes[0], name)) is not None:
                    _add(tax, name, value)
    agreement = next(children(item, "SpecifiedLineTradeAgreement"), None)
    if agreement is None:
        agreement = _add(item, "SpecifiedLineTradeAgreement")
    if next(children(agreement, "NetPriceProductTradePrice"), None) is None:
        quantity = _decimal(_text(next(children(item, "SpecifiedLineTradeDelivery"), None), "BilledQuantity"))
        net = _decimal(_text(summation, "LineTotalAmount"))
        try:
            price = to_unit_price(net / quantity) if quantity else None
        except DecimalException:  # an absurd figure: no price, the reader names it
            price = None
        if price is not None:
            _add(_add(agreement, "NetPriceProductTradePrice"), "ChargeAmount", str(price))


def _same_namespace(element, name: str) -> str:
    return etree.QName(etree.QName(element).namespace, name).text


def _add(parent, name: str, text: str | None = None):
    child = etree.SubElement(parent, _same_namespace(parent, name))
    child.text = text
    return child


def _text(element, name: str) -> str | None:
    found = next(children(element, name), None) if element is not None else None
    return found.text.strip() if found is not None and found.text else None


def _decimal(text: str | None) -> Decimal:
    try:
        return Decimal(text) if text else Decimal(0)
    except InvalidOperation:
        return Decimal(0)
