"""The EN 16931 arithmetic of an invoice: strict to the cent, each failure naming its rule and
its figures in French."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from groupement.core.errors import ServiceError
from groupement.core.imports import ImportIssue
from groupement.invoices.einvoice import parse_invoice
from groupement.invoices.rules import (
    AllowanceCharge,
    CheckResult,
    InvoiceData,
    InvoiceLineData,
    InvoiceRefused,
    VatBreakdown,
    check_invoice,
    failures,
    line_label,
    normalise_invoice_number,
    vat_amount,
    vat_rule,
)
from groupement.invoices.states import INVOICE_TRANSITIONS, InvoiceStatus

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "invoices"
D = Decimal
NBSP = "\u00a0"


def sample_text(name: str) -> str:
    return (SAMPLES / name).read_bytes().decode("utf-8-sig")


def parse_altered(name: str, old: str, new: str) -> InvoiceData:
    text = sample_text(name)
    assert text.count(old) == 1, old
    return parse_invoice(text.replace(old, new).encode(), name)


def failed(data: InvoiceData) -> list[CheckResult]:
    return failures(check_invoice(data))


def rules(results: list[CheckResult]) -> list[str]:
    return [result.rule for result in results]


def eur(text: str) -> str:
    return text.replace(" €", f"{NBSP}€")


def line(line_id="1", quantity="1", price="10.00", net="10.00", rate="20", category="S", **more) -> InvoiceLineData:
    return InvoiceLineData(
        line_id=line_id,
        item_ref=None,
        description="article",
        quantity=D(quantity),
        unit_price=D(price),
        net_amount=D(net),
        vat_category=category,
        vat_rate=D(rate),
        order_ref=None,
        commune_insee=None,
        **more,
    )


def invoice(lines, breakdown, allowances_charges=(), **totals) -> InvoiceData:
    line_total = sum((entry.net_amount for entry in lines), D(0))
    allowance_total = sum((ac.amount for ac in allowances_charges if not ac.is_charge), D(0))
    charge_total = sum((ac.amount for ac in allowances_charges if ac.is_charge), D(0))
    tax_exclusive = line_total - allowance_total + charge_total
    tax_total = sum((entry.tax_amount for entry in breakdown), D(0))
    values = dict(
        line_total=line_total,
        allowance_total=allowance_total,
        charge_total=charge_total,
        tax_exclusive=tax_exclusive,
        tax_total=tax_total,
        tax_inclusive=tax_exclusive + tax_total,
        prepaid=D(0),
        payable=tax_exclusive + tax_total,
    )
    values.update(totals)
    return InvoiceData(
        number="F1",
        type_code="380",
        issue_date=date(2027, 1, 15),
        due_date=None,
        currency="EUR",
        seller_name="Fournisseur",
        seller_siret=None,
        seller_vat=None,
        buyer_name="CAPI",
        buyer_siret=None,
        order_reference=None,
        lines=tuple(lines),
        allowances_charges=tuple(allowances_charges),
        vat_breakdown=tuple(breakdown),
        source_format="test",
        **values,
    )


# --- the samples ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["facturx_en16931_fr.pdf", "facturx_en16931_fr.xml", "ubl21_en16931_fr.xml"])
def test_every_check_passes_on_the_samples(name):
    results = check_invoice(parse_invoice((SAMPLES / name).read_bytes(), name))

    assert failures(results) == []
    assert {"PEPPOL-EN16931-R120", "BR-CO-10", "BR-CO-13", "BR-S-08", "BR-S-09", "BR-CO-14", "BR-CO-16"} <= set(
        rules(results)
    )


def test_the_cen_cii_example_passes_every_rule_but_its_return_line_written_with_a_positive_quantity():
    # Line 20 "FRITUUR VET 10 KG RETOUR": 6 × 18,33 € with a net of −109,98 €. EN 16931's own
    # schematron does not check line nets; the strict line rule does, and says so.
    data = parse_invoice((SAMPLES / "cii_en16931_example1.xml").read_bytes(), "cii.xml")

    assert [(r.rule, r.message) for r in failed(data)] == [
        (
            "PEPPOL-EN16931-R120",
            eur(
                "PEPPOL-EN16931-R120 : ligne 20, le montant net déclaré (-109,98 €) diffère de quantité × prix net "
                "(6 × 18,33 €) = 109,98 € (au-delà de l'écart d'arrondi de 0,02 € admis)."
            ),
        )
    ]


def test_the_passing_messages_state_what_holds_with_the_figure():
    data = parse_invoice((SAMPLES / "ubl21_en16931_fr.xml").read_bytes(), "ubl.xml")
    messages = {result.rule: result.message for result in check_invoice(data)}

    assert messages["BR-CO-10"] == eur(
        "BR-CO-10 : la somme des montants nets des lignes est égale au total des lignes (273,00 €)."
    )
    assert messages["BR-CO-15"] == eur("BR-CO-15 : le total TTC est égal au total HT + TVA (308,03 €).")


# --- one cent off -----------------------------------------------------------------------------


def test_one_cent_more_on_a_ubl_line_net_is_within_the_line_slack_but_fails_br_co_10():
    data = parse_altered(
        "ubl21_en16931_fr.xml",
        '<cbc:LineExtensionAmount currencyID="EUR">138.00</cbc:LineExtensionAmount>',
        '<cbc:LineExtensionAmount currencyID="EUR">138.01</cbc:LineExtensionAmount>',
    )
    results = [CheckResult("", True, "")] + failed(data)

    assert rules(results[1:]) == ["BR-CO-10", "BR-S-08"]
    assert results[1].message == eur(
        "BR-CO-10 : la somme des montants nets des lignes (273,01 €) diffère du total des lignes déclaré (273,00 €)."
    )
    assert results[2].message == eur(
        "BR-S-08 : TVA à 20 % (catégorie S), la base déclarée (138,00 €) diffère de la somme des lignes, frais et "
        "remises à ce taux (138,01 €)."
    ).replace("20 %", f"20{NBSP}%")


def test_three_cents_less_on_a_cii_line_net_names_the_line_with_its_allowances_and_charges():
    data = parse_altered(
        "facturx_en16931_fr.xml",
        "<ram:LineTotalAmount>28.00</ram:LineTotalAmount>",
        "<ram:LineTotalAmount>27.97</ram:LineTotalAmount>",
    )
    results = failed(data)

    assert rules(results) == ["PEPPOL-EN16931-R120", "BR-CO-10", "BR-S-08"]
    assert results[0].message == eur(
        "PEPPOL-EN16931-R120 : ligne 2, le montant net déclaré (27,97 €) diffère de quantité × prix net ÷ quantité "
        "de base + frais − remises (3 × 30,00 € ÷ 3 + 3,00 € − 5,00 €) = 28,00 € (au-delà de l'écart d'arrondi de "
        "0,02 € admis)."
    )


@pytest.mark.parametrize(("written", "anomaly"), [("28.02", False), ("27.98", False), ("28.03", True), ("27.97", True)])
def test_a_line_net_is_accepted_within_two_cents_of_quantity_times_price_as_peppol_r120(written, anomaly):
    data = parse_altered(
        "facturx_en16931_fr.xml",
        "<ram:LineTotalAmount>28.00</ram:LineTotalAmount>",
        f"<ram:LineTotalAmount>{written}</ram:LineTotalAmount>",
    )
    assert ("PEPPOL-EN16931-R120" in rules(failed(data))) is anomaly


def test_one_cent_on_a_line_of_the_twenty_line_cii_fails_br_co_10():
    data = parse_altered(
        "cii_en16931_example1.xml",
        "<ram:LineTotalAmount>19.9</ram:LineTotalAmount>",
        "<ram:LineTotalAmount>19.91</ram:LineTotalAmount>",
    )

    # Line 1 is within R120's slack; line 20 (the return written with a positive quantity) is not.
    assert rules(failed(data)) == ["PEPPOL-EN16931-R120", "BR-CO-10", "BR-S-08"]
    assert "ligne 20, le montant net déclaré (-109,98" in failed(data)[0].message


def test_a_line_net_with_a_third_decimal_is_not_the_rounded_figure():
    data = invoice(
        [line(quantity="3", price="3.3333", net="10.000")], [VatBreakdown("S", D(20), D("10.00"), D("2.00"))]
    )
    assert failed(data) == []

    # BR-DEC-23: a line net has 2 decimals at most (the official rule refuses 9,999 €).
    data = invoice([line(quantity="3", price="3.3333", net="9.999")], [VatBreakdown("S", D(20), D("9.999"), D("2.00"))])
    assert rules(failed(data)) == ["BR-DEC-23"]
    assert eur("ligne 1, le montant net (9,999 €) a plus de 2 décimales") in failed(data)[0].message


def test_a_vat_total_one_cent_off_fails_br_co_14_and_br_co_15():
    data = parse_altered(
        "ubl21_en16931_fr.xml",
        '<cbc:TaxAmount currencyID="EUR">35.03</cbc:TaxAmount>',
        '<cbc:TaxAmount currencyID="EUR">35.04</cbc:TaxAmount>',
    )
    results = failed(data)

    assert [(r.rule, r.message) for r in results] == [
        (
            "BR-CO-14",
            eur("BR-CO-14 : le total de TVA déclaré (35,04 €) diffère de la somme des TVA par taux (35,03 €)."),
        ),
        (
            "BR-CO-15",
            eur(
                "BR-CO-15 : le total TTC déclaré (308,03 €) diffère du total HT + TVA (273,00 € + 35,04 € = 308,04 €)."
            ),
        ),
    ]


def test_a_rate_vat_one_cent_off_is_the_rounding_br_s_09_accepts_but_br_co_14_still_adds_up():
    data = parse_altered(
        "facturx_en16931_fr.xml",
        "<ram:CalculatedAmount>2.70</ram:CalculatedAmount>",
        "<ram:CalculatedAmount>2.71</ram:CalculatedAmount>",
    )
    results = check_invoice(data)

    assert rules(failures(results)) == ["BR-CO-14"]
    [s09] = [r for r in results if r.rule == "BR-S-09" and "10" in r.message]
    assert s09.ok and eur("écart d'arrondi de 0,01 € admis par la règle officielle") in s09.message


def test_a_rate_vat_more_than_one_euro_off_fails_br_s_09():
    data = parse_altered(
        "facturx_en16931_fr.xml",
        "<ram:CalculatedAmount>2.70</ram:CalculatedAmount>",
        "<ram:CalculatedAmount>3.71</ram:CalculatedAmount>",
    )
    results = failed(data)

    assert rules(results) == ["BR-S-09", "BR-CO-14"]
    assert results[0].message == eur(
        "BR-S-09 : TVA à 10 % (catégorie S), la TVA déclarée (3,71 €) est inexacte (base × taux arrondi une fois : "
        "27,00 € × 10 % = 2,70 €)."
    ).replace(" %", f"{NBSP}%")


def test_a_payable_amount_off_fails_br_co_16_with_prepaid_and_rounding():
    data = parse_altered(
        "ubl21_en16931_fr.xml",
        '<cbc:PayableAmount currencyID="EUR">208.03</cbc:PayableAmount>',
        '<cbc:PayableAmount currencyID="EUR">208.00</cbc:PayableAmount>',
    )
    assert [r.message for r in failed(data)] == [
        eur(
            "BR-CO-16 : le montant à payer déclaré (208,00 €) diffère du total TTC − acomptes + arrondi "
            "(308,03 € − 100,00 € + 0,00 € = 208,03 €)."
        )
    ]
    rounded = dataclasses.replace(data, rounding=D("-0.03"))
    assert failed(rounded) == []


# --- per-rate VAT: rounded once, allowances and charges included -------------------------------


def test_vat_is_rounded_once_on_the_rate_total_half_up():
    lines = [line(str(n), price="0.10", net="0.10", rate="5.5") for n in range(1, 4)]

    # 3 × round(0,10 × 5,5 %) = 3 × 0,01 = 0,03; round(0,30 × 5,5 %) = round(0,0165) = 0,02
    per_line = invoice(lines, [VatBreakdown("S", D("5.5"), D("0.30"), D("0.03"))])
    once = invoice(lines, [VatBreakdown("S", D("5.5"), D("0.30"), D("0.02"))])

    assert rules(failed(per_line)) == ["BR-S-09"]
    assert failed(once) == []
    assert vat_amount(D("135.00"), "S", D("5.5")) == D("7.43")  # 7,425: half up, not half even
    assert vat_amount(D("-135.00"), "S", D("5.5")) == D("-7.43")


def test_document_allowances_and_charges_count_in_the_base_of_their_own_rate():
    lines = [line("1", net="100.00", price="100.00", rate="20"), line("2", net="50.00", price="50.00", rate="5.5")]
    acs = [
        AllowanceCharge(False, D("10.00"), "S", D("20"), "remise"),
        AllowanceCharge(True, D("4.00"), "S", D("5.5"), "port"),
    ]
    right = invoice(
        lines,
        [VatBreakdown("S", D(20), D("90.00"), D("18.00")), VatBreakdown("S", D("5.5"), D("54.00"), D("2.97"))],
        acs,
    )
    assert right.tax_exclusive == D("144.00")
    assert failed(right) == []

    # The same figures declared as if the charge were at 20 %: both rates fail BR-S-08.
    wrong = dataclasses.replace(
        right,
        vat_breakdown=(
            VatBreakdown("S", D(20), D("94.00"), D("18.80")),
            VatBreakdown("S", D("5.5"), D("50.00"), D("2.75")),
        ),
        tax_total=D("21.55"),
        tax_inclusive=D("165.55"),
        payable=D("165.55"),
    )
    assert rules(failed(wrong)) == ["BR-S-08", "BR-S-08"]
    assert eur("la base déclarée (94,00 €) diffère de la somme des lignes, frais et remises à ce taux (90,00 €)") in (
        failed(wrong)[0].message
    )


def test_a_rate_used_by_a_line_but_missing_from_the_breakdown_fails():
    data = invoice(
        [line(net="10.00"), line("2", rate="10", net="10.00")], [VatBreakdown("S", D(20), D("10.00"), D("2.00"))]
    )

    [result] = failed(data)
    assert result.rule == "BR-S-08"
    assert result.message == eur(
        "BR-S-08 : TVA à 10 % (catégorie S), aucune base n'est déclarée dans la ventilation de la TVA alors que les "
        "lignes, frais et remises à ce taux totalisent 10,00 €."
    ).replace("10 %", f"10{NBSP}%")


def test_a_category_without_vat_must_declare_zero_vat_under_its_own_rule():
    data = invoice(
        [line(category="K", rate="0")],
        [VatBreakdown("K", D(0), D("10.00"), D("2.00"))],
    )

    assert rules(failed(data)) == ["BR-IC-09"]
    assert "elle doit être nulle dans cette catégorie" in failed(data)[0].message
    assert vat_rule("E", "08") == "BR-E-08"
    assert vat_rule("AE", "09") == "BR-AE-09"


def test_allowance_and_charge_totals_and_the_net_total_are_checked():
    lines = [line(net="100.00", price="100.00")]
    acs = [
        AllowanceCharge(False, D("5.00"), "S", D(20), "remise"),
        AllowanceCharge(True, D("2.00"), "S", D(20), "port"),
    ]
    breakdown = [VatBreakdown("S", D(20), D("97.00"), D("19.40"))]
    data = invoice(lines, breakdown, acs, allowance_total=D("4.00"), charge_total=D("3.00"))

    assert [r.message for r in failed(data)] == [
        eur(
            "BR-CO-11 : la somme des remises au niveau du document (5,00 €) diffère du total des remises "
            "déclaré (4,00 €)."
        ),
        eur(
            "BR-CO-12 : la somme des frais au niveau du document (2,00 €) diffère du total des frais déclaré (3,00 €)."
        ),
        eur(
            "BR-CO-13 : le total HT déclaré (97,00 €) diffère du total des lignes − remises + frais "
            "(100,00 € − 4,00 € + 3,00 € = 99,00 €)."
        ),
    ]


def test_check_results_say_ok_for_each_rule_that_holds():
    data = invoice([line()], [VatBreakdown("S", D(20), D("10.00"), D("2.00"))])
    results = check_invoice(data)

    assert all(result.ok for result in results)
    assert rules(results) == [
        "PEPPOL-EN16931-R120",
        "BR-CO-10",
        "BR-CO-11",
        "BR-CO-12",
        "BR-CO-13",
        "BR-S-08",
        "BR-S-09",
        "BR-CO-14",
        "BR-CO-15",
        "BR-CO-16",
    ]


def test_a_refusal_keeps_the_issues_and_reads_as_french_sentences():
    refused = InvoiceRefused([ImportIssue("f.csv", 3, "quantite", "« x » n'est pas un nombre"), "g.xml : vide"])

    assert refused.reasons == ["f.csv, ligne 3, colonne « quantite » : « x » n'est pas un nombre", "g.xml : vide"]
    assert len(refused.issues) == 1
    assert str(refused) == "; ".join(refused.reasons)
    assert isinstance(refused, ServiceError)  # a refusal the user can act on


@pytest.mark.parametrize("written", ["OVER-8", "over-8", "OVER -8", "Over_8", "over/8", "O.VER 8", " over\t8 "])
def test_invoice_numbers_are_compared_without_case_spaces_or_separators(written):
    assert normalise_invoice_number(written) == "OVER8"


def test_different_invoice_numbers_stay_different_once_normalised():
    assert normalise_invoice_number("OVER-8") != normalise_invoice_number("OVER-9")
    assert normalise_invoice_number("F2026-001") != normalise_invoice_number("F2026-0010")


def test_a_line_is_named_by_its_place_on_the_invoice_and_its_identifier_when_different():
    assert line_label(4, "4") == "ligne 4"
    assert line_label(4, "5") == "ligne 4 (identifiant 5)"
    assert line_label(1, "") == "ligne 1"
    assert line_label(4, "5", spreadsheet=True) == "ligne 4 (ligne 5 du fichier)"


def test_a_rejected_invoice_goes_nowhere_and_an_unmatched_one_is_not_split_directly():
    assert INVOICE_TRANSITIONS[InvoiceStatus.REJECTED] == frozenset()
    assert InvoiceStatus.SPLIT not in INVOICE_TRANSITIONS[InvoiceStatus.IMPORTED]
    for status in (InvoiceStatus.IMPORTED, InvoiceStatus.CHECKED, InvoiceStatus.DISPUTED):
        assert InvoiceStatus.REJECTED in INVOICE_TRANSITIONS[status]
    for status in (InvoiceStatus.SPLIT, InvoiceStatus.RECOVERED, InvoiceStatus.SETTLED):
        assert InvoiceStatus.REJECTED not in INVOICE_TRANSITIONS[status]
