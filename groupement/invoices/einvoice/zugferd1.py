"""ZUGFeRD 1.0 (root CrossIndustryDocument, namespace urn:ferd:CrossIndustryDocument:invoice:1p0).

Neither factur-x nor drafthorse reads it (drafthorse writes and reads ZUGFeRD 2.x only); its
structure is the one of CII D16B under older names, so the document is renamed element by element
(a copy; the namespaces do not matter, the readers go by local names) and read by CiiReader:
HeaderExchangedDocument → ExchangedDocument, ApplicableSupplyChainTradeAgreement →
ApplicableHeaderTradeAgreement, SpecifiedSupplyChainTradeSettlement (line) →
SpecifiedLineTradeSettlement, ApplicablePercent → RateApplicablePercent, and so on. A line
without a net price (BASIC) takes its gross price.
"""

from __future__ import annotations

import copy

from lxml import etree

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
                net.tag = etree.QName(etree.QName(gross).namespace, "NetPriceProductTradePrice").text
                agreement.append(net)
    return tree
