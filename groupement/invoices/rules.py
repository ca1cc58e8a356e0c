"""The EN 16931 arithmetic a supplier's invoice must satisfy. Pure.

`InvoiceData` (invoices.invoice_data, re-exported here) is what groupement.invoices.einvoice reads
from any of the accepted formats (Factur-X, CII, UBL 2.1 Invoice and CreditNote, the spreadsheet
template). Amounts are as written in the document: a credit note (381) carries positive amounts
and the caller negates them.

`check_invoice` compares amounts to the cent, with only the tolerances the official rules give
(invoices.tolerances: BR-S-09's per-rate rounding, Factur-X EXTENDED's cent per amount, Peppol's
0,02 € on a line's net), so that it never disagrees with the official validator. It returns one
`CheckResult` per rule (or per line / per VAT rate for the rules that apply to one): `ok=True`
with a short statement when the rule holds, one `ok=False` result per discrepancy otherwise,
the message in French naming the rule and both figures.

The rules:

- BR-DEC-23: a line net has at most 2 decimals.
- PEPPOL-EN16931-R120, the line net amount (EN 16931 defines BT-131 without a BR rule of its
  own; this is the Peppol BIS 3 rule that checks it): BT-131 = BT-129 × BT-146 / BT-149
  + Σ line charges − Σ line allowances, within 0,02 € (Peppol's slack); beyond, a real anomaly.
- Only the lines that count are summed: a Factur-X EXTENDED sub-line of status GROUP (a subtotal
  of its DETAIL lines) or INFORMATION is shown, never added (BR-FXEXT-CO-10).
- A header-only invoice (Factur-X MINIMUM, BASIC WL: no lines) is checked on what it carries:
  the totals, and in BASIC WL the VAT of each rate.
- BR-CO-10: Σ BT-131 = BT-106.  BR-CO-11: Σ BT-92 = BT-107.  BR-CO-12: Σ BT-99 = BT-108.
- BR-CO-13: BT-109 = BT-106 − BT-107 + BT-108.
- BR-S-08 (and its twins BR-Z-08, BR-E-08, BR-AE-08, BR-IC-08, BR-G-08, BR-O-08... named after
  the VAT category): for each (category, rate) the declared taxable amount BT-116 equals the
  lines' nets of that category and rate + the document charges − the document allowances of
  that category and rate. A rate used by a line but absent from the VAT breakdown, or declared
  with nothing behind it, fails the same rule.
- BR-S-09 (and twins): for each (category, rate) the declared VAT BT-117 equals BT-116 × rate /
  100 rounded ONCE on the rate's total, half up (not line by line); 0 for the categories without
  VAT (Z, E, AE, K, G, O).
- BR-CO-14: BT-110 = Σ BT-117.  BR-CO-15: BT-112 = BT-109 + BT-110.
- BR-CO-16: BT-115 = BT-112 − BT-113 + BT-114 (rounding amount).

The currency is not a check: a non-euro invoice is refused when it is read (InvoiceRefused).
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

import groupement.core.money as money
from groupement.core.formatting import percent
from groupement.core.money import has_at_most
from groupement.invoices.check_results import CheckResult, count, eur, failures, line_label, num
from groupement.invoices.check_results import equal as _checked_equal
from groupement.invoices.check_results import key as _vat_key
from groupement.invoices.invoice_data import (
    CATEGORY_RULE_PREFIX as CATEGORY_RULE_PREFIX,
)
from groupement.invoices.invoice_data import (
    CENT_EXPONENT as CENT_EXPONENT,
)
from groupement.invoices.invoice_data import (
    CORRECTIVE as CORRECTIVE,
)
from groupement.invoices.invoice_data import (
    COUNTED_LINE_STATUSES as COUNTED_LINE_STATUSES,
)
from groupement.invoices.invoice_data import (
    CREDIT_NOTE as CREDIT_NOTE,
)
from groupement.invoices.invoice_data import (
    HEADER_ONLY_PROFILES as HEADER_ONLY_PROFILES,
)
from groupement.invoices.invoice_data import (
    INVOICE as INVOICE,
)
from groupement.invoices.invoice_data import (
    LINE_RULE as LINE_RULE,
)
from groupement.invoices.invoice_data import (
    NO_VAT_CATEGORIES as NO_VAT_CATEGORIES,
)
from groupement.invoices.invoice_data import (
    ONE as ONE,
)
from groupement.invoices.invoice_data import (  # the plain data, re-exported for the readers
    ZERO as ZERO,
)
from groupement.invoices.invoice_data import (
    AllowanceCharge as AllowanceCharge,
)
from groupement.invoices.invoice_data import (
    DeliverySite as DeliverySite,
)
from groupement.invoices.invoice_data import (
    InvoiceData as InvoiceData,
)
from groupement.invoices.invoice_data import (
    InvoiceLineData as InvoiceLineData,
)
from groupement.invoices.invoice_data import (
    InvoiceRefused as InvoiceRefused,
)
from groupement.invoices.invoice_data import (
    VatBreakdown as VatBreakdown,
)
from groupement.invoices.tolerances import LINE_SLACK, line_within


def check_invoice(data: InvoiceData) -> list[CheckResult]:
    """Every arithmetic rule of EN 16931 the invoice must satisfy (see the module docstring)."""
    results: list[CheckResult] = []
    if not data.header_only:
        results += _line_nets(data.lines, data.source_format in SPREADSHEET_FORMATS)
    results += _document_totals(data)
    results += _vat_breakdown(data)
    results += _grand_totals(data)
    return results


def vat_rule(category: str, suffix: str) -> str:
    """BR-S-08, BR-IC-09...: the EN 16931 rule of a VAT category."""
    return f"{CATEGORY_RULE_PREFIX.get(category, 'BR-' + category)}-{suffix}"


def vat_amount(taxable: Decimal, category: str, rate: Decimal) -> Decimal:
    """The VAT of one (category, rate) of the breakdown: rounded once, half up."""
    if category in NO_VAT_CATEGORIES:
        return ZERO
    return money.vat_amount(taxable, rate)


# --- the rules --------------------------------------------------------------------------------


SPREADSHEET_FORMATS = frozenset({"xlsx", "csv"})  # their line_id is the file's row number


_SEPARATORS = re.compile(r"[\s\-_/.\\]+")


def normalise_invoice_number(number: str) -> str:
    """The invoice number as duplicates are compared: case, spaces and separators (- _ / . \\) left out.
    'OVER-8', 'over-8' and 'OVER -8' are the same number, 'OVER8'."""
    return _SEPARATORS.sub("", number).casefold().upper()


def _line_nets(lines: tuple[InvoiceLineData, ...], spreadsheet: bool = False) -> list[CheckResult]:
    results = []
    for position, line in enumerate(lines, start=1):
        if not has_at_most(line.net_amount, CENT_EXPONENT):
            results.append(
                CheckResult(
                    "BR-DEC-23",
                    False,
                    f"BR-DEC-23 : {line_label(position, line.line_id, spreadsheet)}, le montant net "
                    f"({_eur(line.net_amount)}) a plus de 2 décimales : 2 au plus.",
                )
            )
            continue
        expected = line.expected_net
        if line.counts and not line_within(line.exact_net, line.net_amount):
            results.append(
                CheckResult(
                    LINE_RULE,
                    False,
                    f"{LINE_RULE} : {line_label(position, line.line_id, spreadsheet)}, "
                    f"le montant net déclaré ({_eur(line.net_amount)}) "
                    f"diffère de {_line_formula(line)} = {_eur(expected)} "
                    f"(au-delà de l'écart d'arrondi de {_eur(LINE_SLACK)} admis).",
                )
            )
    if not results:
        results.append(
            CheckResult(
                LINE_RULE,
                True,
                f"{LINE_RULE} : le montant net de chaque ligne ({_count(len(lines), 'ligne')}) est égal à "
                f"quantité × prix net + frais − remises de la ligne, à {_eur(LINE_SLACK)} près.",
            )
        )
    return results


def _line_formula(line: InvoiceLineData) -> str:
    words = "quantité × prix net"
    figures = f"{_num(line.quantity)} × {_eur(line.unit_price)}"
    if line.price_base_quantity != ONE:
        words += " ÷ quantité de base"
        figures += f" ÷ {_num(line.price_base_quantity)}"
    if line.line_charges:
        words += " + frais"
        figures += f" + {_eur(line.line_charges)}"
    if line.line_allowances:
        words += " − remises"
        figures += f" − {_eur(line.line_allowances)}"
    return f"{words} ({figures})"


def _document_totals(data: InvoiceData) -> list[CheckResult]:
    lines_sum = sum((line.net_amount for line in data.counted_lines), ZERO)
    allowances = sum((ac.amount for ac in data.allowances_charges if not ac.is_charge), ZERO)
    charges = sum((ac.amount for ac in data.allowances_charges if ac.is_charge), ZERO)
    expected_109 = data.line_total - data.allowance_total + data.charge_total
    results = [
        _equal(
            "BR-CO-10",
            lines_sum,
            data.line_total,
            "la somme des montants nets des lignes ({computed}) diffère du total des lignes déclaré ({declared})",
            "la somme des montants nets des lignes est égale au total des lignes ({declared})",
            data,
        ),
        _equal(
            "BR-CO-11",
            allowances,
            data.allowance_total,
            "la somme des remises au niveau du document ({computed}) diffère du total des remises déclaré ({declared})",
            "la somme des remises au niveau du document est égale au total des remises ({declared})",
            data,
        ),
        _equal(
            "BR-CO-12",
            charges,
            data.charge_total,
            "la somme des frais au niveau du document ({computed}) diffère du total des frais déclaré ({declared})",
            "la somme des frais au niveau du document est égale au total des frais ({declared})",
            data,
        ),
        _equal(
            "BR-CO-13",
            expected_109,
            data.tax_exclusive,
            f"le total HT déclaré ({{declared}}) diffère du total des lignes − remises + frais "
            f"({_eur(data.line_total)} − {_eur(data.allowance_total)} + {_eur(data.charge_total)} = {{computed}})",
            "le total HT est égal au total des lignes − remises + frais ({declared})",
            data,
        ),
    ]
    # Header-only: no lines to add up (BR-CO-10); MINIMUM has no line total either (BR-CO-13).
    skipped = {"BR-CO-10"} if data.header_only else set()
    if data.header_only and data.profile == "MINIMUM":
        skipped.add("BR-CO-13")
    return [result for result in results if result.rule not in skipped]


def _vat_breakdown(data: InvoiceData) -> list[CheckResult]:
    computed: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    for line in data.counted_lines:
        computed[_key(line.vat_category, line.vat_rate)] += line.net_amount
    for ac in data.allowances_charges:
        computed[_key(ac.vat_category, ac.vat_rate)] += ac.amount if ac.is_charge else -ac.amount
    declared: dict[tuple[str, Decimal], list[VatBreakdown]] = defaultdict(list)
    for entry in data.vat_breakdown:
        declared[_key(entry.category, entry.rate)].append(entry)

    results = []
    for key in sorted(set(computed) | set(declared), key=lambda k: (-k[1], k[0])):
        category, rate = key
        label = f"TVA à {percent(rate)} (catégorie {category})"
        rule_08, rule_09 = vat_rule(category, "08"), vat_rule(category, "09")
        entries = declared.get(key, [])
        base = computed.get(key, ZERO)
        if not entries:
            results.append(
                CheckResult(
                    rule_08,
                    False,
                    f"{rule_08} : {label}, aucune base n'est déclarée dans la ventilation de la TVA alors que les "
                    f"lignes, frais et remises à ce taux totalisent {_eur(base)}.",
                )
            )
            continue
        taxable = sum((entry.taxable_amount for entry in entries), ZERO)
        tax = sum((entry.tax_amount for entry in entries), ZERO)
        if not data.header_only:  # no lines: each declared base is taken as written
            results.append(
                _equal(
                    rule_08,
                    base,
                    taxable,
                    f"{label}, la base déclarée ({{declared}}) diffère de la somme des lignes, frais et remises à ce "
                    "taux ({computed})",
                    f"{label}, la base déclarée est égale à la somme des lignes, frais et remises à ce taux "
                    "({declared})",
                    data,
                )
            )
        expected_tax = vat_amount(taxable, category, rate)
        formula = (
            "elle doit être nulle dans cette catégorie"
            if category in NO_VAT_CATEGORIES
            else f"base × taux arrondi une fois : {_eur(taxable)} × {percent(rate)} = {{computed}}"
        )
        results.append(
            _equal(
                rule_09,
                expected_tax,
                tax,
                f"{label}, la TVA déclarée ({{declared}}) est inexacte ({formula})",
                f"{label}, la TVA déclarée ({{declared}}) est égale à la base × le taux",
                data,
            )
        )
    return results


def _grand_totals(data: InvoiceData) -> list[CheckResult]:
    vat_sum = sum((entry.tax_amount for entry in data.vat_breakdown), ZERO)
    results = [
        _equal(
            "BR-CO-14",
            vat_sum,
            data.tax_total,
            "le total de TVA déclaré ({declared}) diffère de la somme des TVA par taux ({computed})",
            "le total de TVA est égal à la somme des TVA par taux ({declared})",
            data,
        ),
        _equal(
            "BR-CO-15",
            data.tax_exclusive + data.tax_total,
            data.tax_inclusive,
            f"le total TTC déclaré ({{declared}}) diffère du total HT + TVA "
            f"({_eur(data.tax_exclusive)} + {_eur(data.tax_total)} = {{computed}})",
            "le total TTC est égal au total HT + TVA ({declared})",
            data,
        ),
        _equal(
            "BR-CO-16",
            data.tax_inclusive - data.prepaid + data.rounding,
            data.payable,
            f"le montant à payer déclaré ({{declared}}) diffère du total TTC − acomptes + arrondi "
            f"({_eur(data.tax_inclusive)} − {_eur(data.prepaid)} + {_eur(data.rounding)} = {{computed}})",
            "le montant à payer est égal au total TTC − acomptes + arrondi ({declared})",
            data,
        ),
    ]
    if data.header_only and not data.vat_breakdown:  # MINIMUM: the total VAT alone, no rate
        return results[1:]
    return results


def _equal(
    rule: str, computed: Decimal, declared: Decimal, failure: str, success: str, data: InvoiceData | None = None
) -> CheckResult:
    """check_results.equal, with the rounding difference the official rules accept for `data`'s syntax."""
    if data is None:
        return _checked_equal(rule, computed, declared, failure, success)
    return _checked_equal(rule, computed, declared, failure, success, data.source_format, data.extended_amounts)


_key, _eur, _num, _count = _vat_key, eur, num, count
__all__ = ["CheckResult", "failures", "line_label"]
