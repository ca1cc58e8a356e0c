"""What an invoice brings to the split: its lines that count, or, for a header-only invoice
(Factur-X MINIMUM, BASIC WL), one line per VAT rate to be shared by an allocation key. Pure.

A BASIC WL invoice declares the base of each rate (BT-116), document allowances and charges
included: its line for a rate is that base − the charges + the allowances of the rate, so that
lines + charges − allowances give back each base and the total HT. A MINIMUM invoice declares only
its totals: its one line is the total HT, at the single rate whose VAT (rounded once) is the total
VAT declared (20, 10, 8,5, 5,5, 2,1 or 0 %, exempt E); when no single rate gives it (several rates
behind one total), at the invoice's mean rate, the declared VAT being what is split
(allocation.split_invoice's declared_vat), so that each commune's VAT adds up to it exactly.

Sub-lines of Factur-X EXTENDED: only DETAIL lines (and plain ones) are kept for the split; the
GROUP subtotals and INFORMATION lines are named in an information check.
"""

from __future__ import annotations

from decimal import Decimal

from groupement.core.formatting import euros, percent
from groupement.core.imports import ImportIssue
from groupement.core.money import round_half_up
from groupement.invoices.rules import (
    ZERO,
    CheckResult,
    InvoiceData,
    InvoiceLineData,
    InvoiceRefused,
    VatBreakdown,
    vat_amount,
)

HEADER_RULE = "EN-TETE"
SUB_LINES_RULE = "SOUS-LIGNES"
FRENCH_RATES = (Decimal("20"), Decimal("10"), Decimal("8.5"), Decimal("5.5"), Decimal("2.1"))


def header_lines(
    data: InvoiceData, file_name: str = ""
) -> tuple[tuple[InvoiceLineData, ...], tuple[VatBreakdown, ...], list[CheckResult]]:
    """The lines to store, the VAT breakdown to store, and information checks."""
    if not data.header_only:
        return data.counted_lines, data.vat_breakdown, _sub_line_checks(data)
    if data.vat_breakdown:
        lines = tuple(_rate_line(data, position, entry) for position, entry in enumerate(data.vat_breakdown, 1))
        breakdown = data.vat_breakdown
    else:
        breakdown = (_minimum_rate(data, file_name),)
        lines = (_rate_line(data, 1, breakdown[0]),)
    message = (
        f"{HEADER_RULE} : facture sans lignes (profil Factur-X {data.profile}) : "
        f"{len(lines)} montant(s) par taux de TVA, à répartir par une clé ; le PDF reste la facture légale."
    )
    return lines, breakdown, [CheckResult(HEADER_RULE, True, message)]


def _rate_line(data: InvoiceData, position: int, entry: VatBreakdown) -> InvoiceLineData:
    key = (entry.category, entry.rate)
    charges = sum(
        (ac.amount for ac in data.allowances_charges if ac.is_charge and (ac.vat_category, ac.vat_rate) == key), ZERO
    )
    allowances = sum(
        (ac.amount for ac in data.allowances_charges if not ac.is_charge and (ac.vat_category, ac.vat_rate) == key),
        ZERO,
    )
    net = entry.taxable_amount - charges + allowances
    return InvoiceLineData(
        line_id=str(position),
        item_ref=None,
        description=f"Montant HT à {percent(entry.rate)} (catégorie {entry.category}), facture sans lignes",
        quantity=Decimal(1),
        unit_price=net,
        net_amount=net,
        vat_category=entry.category,
        vat_rate=entry.rate,
        order_ref=data.order_reference,
        commune_insee=None,
    )


def _minimum_rate(data: InvoiceData, file_name: str) -> VatBreakdown:
    if data.tax_total == ZERO:
        return VatBreakdown("E", ZERO, data.tax_exclusive, ZERO)
    found = [rate for rate in FRENCH_RATES if vat_amount(data.tax_exclusive, "S", rate) == data.tax_total]
    if len(found) == 1:
        return VatBreakdown("S", found[0], data.tax_exclusive, data.tax_total)
    if data.tax_exclusive <= ZERO or not ZERO <= data.tax_total <= data.tax_exclusive:
        raise InvoiceRefused(
            [
                ImportIssue(
                    file_name,
                    None,
                    None,
                    f"facture sans lignes ni ventilation de TVA (profil Factur-X MINIMUM) : une TVA de "
                    f"{euros(data.tax_total)} sur un total HT de {euros(data.tax_exclusive)} ne se répartit pas ; "
                    "demandez au fournisseur la facture au profil BASIC WL ou supérieur",
                )
            ]
        )
    # Several rates behind one total: the declared VAT is split as it is, at the invoice's mean rate.
    mean = round_half_up(data.tax_total * 100 / data.tax_exclusive, Decimal("0.01"))
    return VatBreakdown("S", mean, data.tax_exclusive, data.tax_total)


def _sub_line_checks(data: InvoiceData) -> list[CheckResult]:
    left = [line for line in data.lines if not line.counts]
    if not left:
        return []
    named = ", ".join(f"ligne {line.line_id} ({line.status})" for line in left[:10]) + (" …" if len(left) > 10 else "")
    return [
        CheckResult(
            SUB_LINES_RULE,
            True,
            f"{SUB_LINES_RULE} : {len(left)} sous-ligne(s) de regroupement ou d'information lue(s), non additionnée(s) "
            f"ni répartie(s) : {named}.",
        )
    ]
