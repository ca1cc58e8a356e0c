"""OASIS UBL 2.1: Invoice and CreditNote (a credit note's quantities are CreditedQuantity)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from groupement.core.numbers import PRICE_AS_WRITTEN
from groupement.invoices.document_types import CREDIT_NOTE_CODES, INVOICE_CODES, document_type
from groupement.invoices.einvoice.common import EURO, MAX_DESCRIPTION_LENGTH, MAX_REASON_LENGTH, clip, vat_number
from groupement.invoices.einvoice.xml_reader import (
    Reader,
    all_at,
    amount_currency,
    first_at,
    local_name,
    siret_in,
    text_of,
)
from groupement.invoices.rules import (
    ONE,
    ZERO,
    AllowanceCharge,
    DeliverySite,
    InvoiceData,
    InvoiceLineData,
    VatBreakdown,
)


class UblReader(Reader):
    def read(self) -> InvoiceData:
        root = self.root
        credit_note = local_name(root) == "CreditNote"
        kind = "CreditNote" if credit_note else "Invoice"
        currency = self.check_currency(text_of(root, "DocumentCurrencyCode"))
        number, type_code = self.document_fields(
            text_of(root, "ID"), text_of(root, f"{kind}TypeCode") or ("381" if credit_note else "380")
        )
        self.check_root_type(type_code, credit_note)
        issue_date = self.date(text_of(root, "IssueDate"), "date de facture (BT-2)", True)
        due_text = text_of(root, "DueDate") or next(
            (text_of(d) for d in all_at(root, "PaymentMeans/PaymentDueDate") if text_of(d)), None
        )
        due_date = self.date(due_text, "date d'échéance (BT-9)", due=True)

        seller = first_at(root, "AccountingSupplierParty/Party")
        buyer = first_at(root, "AccountingCustomerParty/Party")
        seller_name = text_of(seller, "PartyLegalEntity/RegistrationName") or text_of(seller, "PartyName/Name")
        seller_siret = self.party_siret(seller)
        self.check_seller(seller_name, seller_siret)
        order_reference = text_of(root, "OrderReference/ID")

        items = all_at(root, f"{kind}Line")
        self.check_lines(len(items))
        quantity_name = "CreditedQuantity" if credit_note else "InvoicedQuantity"
        lines = tuple(
            line
            for position, item in enumerate(items, 1)
            for line in self.line_with_sub_lines(item, position, order_reference, quantity_name, kind)
        )
        allowances_charges = tuple(self.allowance_charge(ac) for ac in all_at(root, "AllowanceCharge"))

        tax_totals = all_at(root, "TaxTotal")
        in_euros = [t for t in tax_totals if (amount_currency(first_at(t, "TaxAmount")) or EURO) == EURO]
        tax_total = next((t for t in in_euros if first_at(t, "TaxSubtotal") is not None), None)
        if tax_total is None:
            tax_total = (in_euros or tax_totals or [None])[0]
        breakdown = tuple(self.breakdown(subtotal) for subtotal in all_at(tax_total, "TaxSubtotal"))

        totals = first_at(root, "LegalMonetaryTotal")
        if totals is None:
            self.problem("totaux de la facture (LegalMonetaryTotal) absents")
        data = InvoiceData(
            number=number,
            type_code=type_code,
            issue_date=issue_date or date.min,
            due_date=due_date,
            currency=currency,
            seller_name=seller_name or "",
            seller_siret=seller_siret,
            seller_vat=self.party_vat(seller),
            buyer_name=text_of(buyer, "PartyLegalEntity/RegistrationName") or text_of(buyer, "PartyName/Name") or "",
            buyer_siret=self.party_siret(buyer),
            order_reference=order_reference,
            buyer_reference=text_of(root, "BuyerReference"),
            lines=lines,
            allowances_charges=allowances_charges,
            line_total=self.amount(first_at(totals, "LineExtensionAmount"), "total des lignes (BT-106)", True),
            allowance_total=self.amount(first_at(totals, "AllowanceTotalAmount"), "total des remises (BT-107)"),
            charge_total=self.amount(first_at(totals, "ChargeTotalAmount"), "total des frais (BT-108)"),
            tax_exclusive=self.amount(first_at(totals, "TaxExclusiveAmount"), "total HT (BT-109)", True),
            tax_total=self.amount(first_at(tax_total, "TaxAmount"), "total de TVA (BT-110)"),
            tax_inclusive=self.amount(first_at(totals, "TaxInclusiveAmount"), "total TTC (BT-112)", True),
            prepaid=self.amount(first_at(totals, "PrepaidAmount"), "acomptes versés (BT-113)"),
            payable=self.amount(first_at(totals, "PayableAmount"), "montant à payer (BT-115)", True),
            vat_breakdown=breakdown,
            source_format=self.source_format,
            rounding=self.amount(first_at(totals, "PayableRoundingAmount"), "arrondi (BT-114)"),
        )
        self.refuse_if_problems()
        return data

    def check_root_type(self, type_code: str, credit_note: bool) -> None:
        """BR-CL-01 as the CEN artefacts apply it to UBL: a CreditNote carries a credit-note code, an
        Invoice an invoice code (81 is in both lists)."""
        codes, document = (
            (CREDIT_NOTE_CODES, "un avoir UBL (CreditNote)")
            if credit_note
            else (INVOICE_CODES, "une facture UBL (Invoice)")
        )
        if document_type(type_code) is not None and type_code not in codes:
            self.problem(
                f"type de document (BT-3) « {type_code} » impossible dans {document} (règle BR-CL-01) : "
                f"codes admis {', '.join(sorted(codes, key=int)[:12])}…"
            )

    def party_siret(self, party) -> str | None:
        return siret_in(all_at(party, "PartyIdentification/ID") + all_at(party, "PartyLegalEntity/CompanyID"))

    def party_vat(self, party) -> str | None:
        for scheme in all_at(party, "PartyTaxScheme"):
            if (text_of(scheme, "TaxScheme/ID") or "").upper() == "VAT":
                return vat_number(text_of(scheme, "CompanyID"))
        return None

    def line_with_sub_lines(
        self, item, position: int, order_reference: str | None, quantity_name: str, kind: str
    ) -> list[InvoiceLineData]:
        """A line and its sub-lines (cac:SubInvoiceLine / SubCreditNoteLine, as XRechnung and the
        French CTC extension write a grouped supply, nested at will). BR-CO-10 sums the top-level
        lines only, so no amount counts twice: where the direct sub-lines of a line add up exactly to
        it, they are what counts (DETAIL, each split on its own, with its own delivery place) and the
        line is their GROUP subtotal, level by level; where they do not, the line counts and all its
        sub-lines are INFORMATION. A sub-line may lack a quantity or a price (a subtotal)."""
        return self.expand(item, self.line(item, position, order_reference, quantity_name), quantity_name, kind)

    def expand(self, element, line: InvoiceLineData, quantity_name: str, kind: str) -> list[InvoiceLineData]:
        subs = [child for child in element if local_name(child) == f"Sub{kind}Line"]
        if not subs:
            return [line]
        details = [self.line(sub, n, line.order_ref, quantity_name, sub=True) for n, sub in enumerate(subs, 1)]
        if sum((d.net_amount for d in details), ZERO) != line.net_amount:
            deeper = [d for d in element.iter() if d is not element and local_name(d) == f"Sub{kind}Line"]
            return [line] + [
                replace(
                    self.line(d, n, line.order_ref, quantity_name, sub=True),
                    status="INFORMATION",
                    parent_id=text_of(d.getparent(), "ID") or line.line_id,
                )
                for n, d in enumerate(deeper, 1)
            ]
        result = [replace(line, status="GROUP")]
        for sub, detail in zip(subs, details, strict=True):
            counted = replace(
                detail, status="DETAIL", parent_id=line.line_id, delivery=detail.delivery or line.delivery
            )
            result += self.expand(sub, counted, quantity_name, kind)
        return result

    def line(
        self, item, position: int, order_reference: str | None, quantity_name: str, sub: bool = False
    ) -> InvoiceLineData:
        """`sub`: a sub-line, which may lack a quantity, a price or a VAT category (a subtotal)."""
        line_id = text_of(item, "ID") or str(position)
        label = f" de la ligne {line_id}"
        product = first_at(item, "Item")
        price = first_at(item, "Price")
        tax = first_at(product, "ClassifiedTaxCategory")
        category = self.category(text_of(tax, "ID"), label) if not sub or tax is not None else ""
        allowances = charges = ZERO
        for ac in all_at(item, "AllowanceCharge"):
            value = self.amount(first_at(ac, "Amount"), f"montant de remise ou frais{label}", True)
            if self.indicator(text_of(ac, "ChargeIndicator"), label):
                charges += value
            else:
                allowances += value
        base_quantity = self.number(text_of(price, "BaseQuantity"), f"quantité de base du prix{label}", ONE)
        if base_quantity == 0:
            self.problem(f"quantité de base du prix{label} nulle")
            base_quantity = ONE
        return InvoiceLineData(
            line_id=line_id,
            item_ref=(
                text_of(product, "SellersItemIdentification/ID")
                or text_of(product, "BuyersItemIdentification/ID")
                or text_of(product, "StandardItemIdentification/ID")
            ),
            description=clip(text_of(product, "Name") or text_of(product, "Description"), MAX_DESCRIPTION_LENGTH),
            quantity=self.number(text_of(item, quantity_name), f"quantité{label} (BT-129)", ZERO if sub else None),
            unit_price=self.amount(
                first_at(price, "PriceAmount"), f"prix net{label} (BT-146)", not sub, PRICE_AS_WRITTEN
            ),
            net_amount=self.amount(first_at(item, "LineExtensionAmount"), f"montant net{label} (BT-131)", True),
            vat_category=category,
            vat_rate=self.rate(text_of(tax, "Percent"), category, label) if category else ZERO,
            order_ref=text_of(item, "OrderLineReference/OrderReference/ID") or order_reference,
            commune_insee=None,
            price_base_quantity=base_quantity,
            line_allowances=allowances,
            line_charges=charges,
            delivery=self.delivery_site(first_at(item, "Delivery/DeliveryLocation")),
        )

    def delivery_site(self, location) -> DeliverySite | None:
        """The line's delivery location (CTC-FR): its SIRET (scheme 0009) or its address."""
        if location is None:
            return None
        site = DeliverySite(
            siret=siret_in(all_at(location, "ID")),
            postcode=(text_of(location, "Address/PostalZone") or "")[:10],
            city=(text_of(location, "Address/CityName") or "")[:120],
        )
        return site if site.siret or site.postcode or site.city else None

    def allowance_charge(self, ac) -> AllowanceCharge:
        is_charge = self.indicator(text_of(ac, "ChargeIndicator"), "")
        label = " des frais" if is_charge else " de la remise"
        category = self.category(text_of(ac, "TaxCategory/ID"), f"{label} de document")
        return AllowanceCharge(
            is_charge=is_charge,
            amount=self.amount(first_at(ac, "Amount"), f"montant{label} de document", True),
            vat_category=category,
            vat_rate=self.rate(text_of(ac, "TaxCategory/Percent"), category, f"{label} de document"),
            reason=clip(
                text_of(ac, "AllowanceChargeReason") or text_of(ac, "AllowanceChargeReasonCode"), MAX_REASON_LENGTH
            ),
        )

    def breakdown(self, subtotal) -> VatBreakdown:
        category = self.category(text_of(subtotal, "TaxCategory/ID"), " de la ventilation")
        rate = self.rate(text_of(subtotal, "TaxCategory/Percent"), category, " de la ventilation")
        label = f" de la ventilation de TVA ({category} {text_of(subtotal, 'TaxCategory/Percent') or '0'} %)"
        return VatBreakdown(
            category=category,
            rate=rate,
            taxable_amount=self.amount(first_at(subtotal, "TaxableAmount"), f"base{label} (BT-116)", True),
            tax_amount=self.amount(first_at(subtotal, "TaxAmount"), f"TVA{label} (BT-117)"),
        )
