"""UN/CEFACT Cross Industry Invoice (CII, D16B and later; also the XML of Factur-X and ZUGFeRD).

Every Factur-X profile: MINIMUM and BASIC WL carry no lines (header-only: the totals, and in BASIC
WL the VAT breakdown and document allowances and charges); EXTENDED and CTC-FR add logistics
service charges (SpecifiedLogisticsServiceCharge, BG-X-42: read as document charges, counted in
BT-108) and sub-lines (AssociatedDocumentLineDocument/ParentLineID and LineStatusReasonCode:
DETAIL lines count, GROUP subtotals and INFORMATION lines are kept but never summed). A GROUP or
INFORMATION line may lack a quantity, a price or a net amount.
"""

from __future__ import annotations

from datetime import date

from groupement.core.numbers import PRICE_AS_WRITTEN
from groupement.invoices.einvoice.common import EURO, MAX_DESCRIPTION_LENGTH, MAX_REASON_LENGTH, clip, vat_number
from groupement.invoices.einvoice.xml_reader import Reader, all_at, first_at, profile_of, siret_in, text_of
from groupement.invoices.rules import (
    ONE,
    ZERO,
    AllowanceCharge,
    DeliverySite,
    InvoiceData,
    InvoiceLineData,
    VatBreakdown,
)

LINE_STATUSES = frozenset({"DETAIL", "GROUP", "INFORMATION"})


class CiiReader(Reader):
    def read(self) -> InvoiceData:
        document = first_at(self.root, "ExchangedDocument")
        transaction = first_at(self.root, "SupplyChainTradeTransaction")
        agreement = first_at(transaction, "ApplicableHeaderTradeAgreement")
        settlement = first_at(transaction, "ApplicableHeaderTradeSettlement")
        currency = self.check_currency(text_of(settlement, "InvoiceCurrencyCode"))
        profile = profile_of(
            text_of(self.root, "ExchangedDocumentContext/GuidelineSpecifiedDocumentContextParameter/ID")
        )

        number, type_code = self.document_fields(text_of(document, "ID"), text_of(document, "TypeCode") or "380")
        issue = first_at(document, "IssueDateTime/DateTimeString")
        issue_date = self.date(
            text_of(issue), "date de facture (BT-2)", True, issue.get("format") if issue is not None else None
        )
        due = next(iter(all_at(settlement, "SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString")), None)
        due_date = self.date(
            text_of(due), "date d'échéance (BT-9)", fmt=due.get("format") if due is not None else None, due=True
        )

        seller = first_at(agreement, "SellerTradeParty")
        buyer = first_at(agreement, "BuyerTradeParty")
        seller_siret = self.party_siret(seller)
        self.check_seller(text_of(seller, "Name"), seller_siret)
        order_reference = text_of(agreement, "BuyerOrderReferencedDocument/IssuerAssignedID")

        items = all_at(transaction, "IncludedSupplyChainTradeLineItem")
        self.check_lines(len(items), profile)
        lines = tuple(self.line(item, position, order_reference) for position, item in enumerate(items, 1))
        self.check_parents(lines)
        allowances_charges = tuple(
            self.allowance_charge(ac) for ac in all_at(settlement, "SpecifiedTradeAllowanceCharge")
        ) + tuple(self.logistics_charge(lc) for lc in all_at(settlement, "SpecifiedLogisticsServiceCharge"))
        breakdown = tuple(self.breakdown(tax) for tax in all_at(settlement, "ApplicableTradeTax"))

        totals = first_at(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
        if totals is None:
            self.problem("totaux de la facture (SpecifiedTradeSettlementHeaderMonetarySummation) absents")
        tax_totals = all_at(totals, "TaxTotalAmount")
        tax_total = next((t for t in tax_totals if (t.get("currencyID") or EURO).upper() == EURO), None)
        if tax_total is None and tax_totals:
            tax_total = tax_totals[0]  # the only one, in another currency: amount() says so

        data = InvoiceData(
            number=number,
            type_code=type_code,
            issue_date=issue_date or date.min,
            due_date=due_date,
            currency=currency,
            seller_name=text_of(seller, "Name") or "",
            seller_siret=seller_siret,
            seller_vat=self.party_vat(seller),
            buyer_name=text_of(buyer, "Name") or "",
            buyer_siret=self.party_siret(buyer),
            order_reference=order_reference,
            lines=lines,
            allowances_charges=allowances_charges,
            line_total=self.amount(
                first_at(totals, "LineTotalAmount"),
                "total des lignes (BT-106)",
                required=profile != "MINIMUM" or bool(items),
            ),
            allowance_total=self.amount(first_at(totals, "AllowanceTotalAmount"), "total des remises (BT-107)"),
            charge_total=self.amount(first_at(totals, "ChargeTotalAmount"), "total des frais (BT-108)"),
            tax_exclusive=self.amount(first_at(totals, "TaxBasisTotalAmount"), "total HT (BT-109)", True),
            tax_total=self.amount(tax_total, "total de TVA (BT-110)"),
            tax_inclusive=self.amount(first_at(totals, "GrandTotalAmount"), "total TTC (BT-112)", True),
            prepaid=self.amount(first_at(totals, "TotalPrepaidAmount"), "acomptes versés (BT-113)"),
            payable=self.amount(first_at(totals, "DuePayableAmount"), "montant à payer (BT-115)", True),
            vat_breakdown=breakdown,
            source_format=self.source_format,
            rounding=self.amount(first_at(totals, "RoundingAmount"), "arrondi (BT-114)"),
            profile=profile,
            buyer_reference=text_of(agreement, "BuyerReference"),
        )
        self.refuse_if_problems()
        return data

    def party_siret(self, party) -> str | None:
        return siret_in(
            all_at(party, "GlobalID") + all_at(party, "SpecifiedLegalOrganization/ID") + all_at(party, "ID")
        )

    def party_vat(self, party) -> str | None:
        for registration in all_at(party, "SpecifiedTaxRegistration/ID"):
            if (registration.get("schemeID") or "").upper() == "VA":
                return vat_number(registration.text)
        return None

    def line(self, item, position: int, order_reference: str | None) -> InvoiceLineData:
        line_id = text_of(item, "AssociatedDocumentLineDocument/LineID") or str(position)
        label = f" de la ligne {line_id}"
        status = (text_of(item, "AssociatedDocumentLineDocument/LineStatusReasonCode") or "").upper()
        if status and status not in LINE_STATUSES:
            self.problem(
                f"statut de sous-ligne{label} (BT-X-8) inconnu « {status[:20]} » : DETAIL, GROUP ou INFORMATION attendu"
            )
            status = ""
        counted = status in ("", "DETAIL")
        product = first_at(item, "SpecifiedTradeProduct")
        agreement = first_at(item, "SpecifiedLineTradeAgreement")
        settlement = first_at(item, "SpecifiedLineTradeSettlement")
        net_price = first_at(agreement, "NetPriceProductTradePrice")
        tax = first_at(settlement, "ApplicableTradeTax")
        category = self.category(text_of(tax, "CategoryCode"), label) if counted or tax is not None else ""
        allowances = charges = ZERO
        for ac in all_at(settlement, "SpecifiedTradeAllowanceCharge"):
            indicator = text_of(ac, "ChargeIndicator/Indicator") or text_of(ac, "ChargeIndicator")
            value = self.amount(first_at(ac, "ActualAmount"), f"montant de remise ou frais{label}", True)
            if self.indicator(indicator, label):
                charges += value
            else:
                allowances += value
        base_quantity = self.number(text_of(net_price, "BasisQuantity"), f"quantité de base du prix{label}", ONE)
        if base_quantity == 0:
            self.problem(f"quantité de base du prix{label} nulle")
            base_quantity = ONE
        return InvoiceLineData(
            line_id=line_id,
            item_ref=text_of(product, "SellerAssignedID")
            or text_of(product, "BuyerAssignedID")
            or text_of(product, "GlobalID"),
            description=clip(text_of(product, "Name") or text_of(product, "Description"), MAX_DESCRIPTION_LENGTH),
            quantity=self.number(
                text_of(item, "SpecifiedLineTradeDelivery/BilledQuantity"),
                f"quantité{label} (BT-129)",
                None if counted else ZERO,
            ),
            unit_price=self.amount(
                first_at(net_price, "ChargeAmount"), f"prix net{label} (BT-146)", counted, PRICE_AS_WRITTEN
            ),
            net_amount=self.amount(
                first_at(settlement, "SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount"),
                f"montant net{label} (BT-131)",
                counted,
            ),
            vat_category=category,
            vat_rate=self.rate(text_of(tax, "RateApplicablePercent"), category, label)
            if counted or tax is not None
            else ZERO,
            order_ref=text_of(agreement, "BuyerOrderReferencedDocument/IssuerAssignedID") or order_reference,
            commune_insee=None,
            price_base_quantity=base_quantity,
            line_allowances=allowances,
            line_charges=charges,
            status=status,
            parent_id=text_of(item, "AssociatedDocumentLineDocument/ParentLineID"),
            delivery=self.delivery_site(first_at(item, "SpecifiedLineTradeDelivery/ShipToTradeParty")),
        )

    def delivery_site(self, party) -> DeliverySite | None:
        """The line's ship-to party (Factur-X EXTENDED, CTC-FR): its SIRET or its address."""
        if party is None:
            return None
        site = DeliverySite(
            siret=self.party_siret(party),
            postcode=(text_of(party, "PostalTradeAddress/PostcodeCode") or "")[:10],
            city=(text_of(party, "PostalTradeAddress/CityName") or "")[:120],
        )
        return site if site.siret or site.postcode or site.city else None

    def check_parents(self, lines: tuple[InvoiceLineData, ...]) -> None:
        """BR-FXEXT-11: each parent line (BT-X-304) names a line of the invoice; BR-FXEXT-06: a
        sub-line says its status."""
        ids = {line.line_id for line in lines}
        for line in lines:
            if line.parent_id and line.parent_id not in ids:
                self.problem(
                    f"ligne {line.line_id} : sa ligne parente « {line.parent_id[:40]} » (BT-X-304) n'existe pas"
                )
            if line.parent_id and not line.status:
                self.problem(f"ligne {line.line_id} : sous-ligne sans statut (BT-X-8 : DETAIL, GROUP ou INFORMATION)")

    def logistics_charge(self, charge) -> AllowanceCharge:
        """A logistics service charge (Factur-X EXTENDED BG-X-42: freight, packing...), a document charge."""
        label = " des frais logistiques"
        category = self.category(text_of(charge, "AppliedTradeTax/CategoryCode"), label)
        return AllowanceCharge(
            is_charge=True,
            amount=self.amount(first_at(charge, "AppliedAmount"), f"montant{label} (BT-X-272)", True),
            vat_category=category,
            vat_rate=self.rate(text_of(charge, "AppliedTradeTax/RateApplicablePercent"), category, label),
            reason=clip(text_of(charge, "Description") or "Frais logistiques", MAX_REASON_LENGTH),
            logistics=True,
        )

    def allowance_charge(self, ac) -> AllowanceCharge:
        is_charge = self.indicator(text_of(ac, "ChargeIndicator/Indicator") or text_of(ac, "ChargeIndicator"), "")
        label = " des frais" if is_charge else " de la remise"
        category = self.category(text_of(ac, "CategoryTradeTax/CategoryCode"), f"{label} de document")
        return AllowanceCharge(
            is_charge=is_charge,
            amount=self.amount(first_at(ac, "ActualAmount"), f"montant{label} de document", True),
            vat_category=category,
            vat_rate=self.rate(text_of(ac, "CategoryTradeTax/RateApplicablePercent"), category, f"{label} de document"),
            reason=clip(text_of(ac, "Reason") or text_of(ac, "ReasonCode"), MAX_REASON_LENGTH),
        )

    def breakdown(self, tax) -> VatBreakdown:
        category = self.category(text_of(tax, "CategoryCode"), " de la ventilation")
        rate = self.rate(text_of(tax, "RateApplicablePercent"), category, " de la ventilation")
        label = f" de la ventilation de TVA ({category} {text_of(tax, 'RateApplicablePercent') or '0'} %)"
        return VatBreakdown(
            category=category,
            rate=rate,
            taxable_amount=self.amount(first_at(tax, "BasisAmount"), f"base{label} (BT-116)", True),
            tax_amount=self.amount(first_at(tax, "CalculatedAmount"), f"TVA{label} (BT-117)"),
        )
