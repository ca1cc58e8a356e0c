"""Savings arithmetic on worked tables: estimate against award, same quantities, to the cent."""

from dataclasses import replace
from decimal import Decimal

import pytest

from groupement.savings.rules import Comparison, Reference, SavingsLine, Share, compute_savings, split_by_weight

D = Decimal
A, B, C = 1, 2, 3  # commune ids; INSEE codes below break ties


def laptops(previous=None) -> SavingsLine:
    """10 laptops (A 4, B 6): estimated 849,00 + 1,00 eco, awarded 764,10 + 1,00."""
    return SavingsLine(
        line_id=11,
        lot_id=1,
        quantity=10,
        estimated_unit=D("850.00"),
        awarded_unit=D("765.10"),
        previous_unit=previous,
        shares=(Share(A, 4, "38001"), Share(B, 6, "38002")),
    )


def paper(previous=None) -> SavingsLine:
    """150 reams (A 100, B 50): estimated 4,20, awarded 3,87."""
    return SavingsLine(
        line_id=21,
        lot_id=2,
        quantity=150,
        estimated_unit=D("4.2000"),
        awarded_unit=D("3.8700"),
        previous_unit=previous,
        shares=(Share(A, 100, "38001"), Share(B, 50, "38002")),
    )


def test_a_line_compares_its_estimate_with_the_award_at_the_same_quantity():
    result = compute_savings([laptops()])
    line = result.lines[0]
    assert (line.estimate.reference, line.estimate.awarded) == (D("8500.00"), D("7651.00"))
    assert line.estimate.savings == D("849.00")
    assert line.estimate.percent == D("9.99")  # 849 / 8 500 = 9,988 %
    assert line.previous is None


def test_lots_communes_and_the_whole_campaign_add_up_on_the_worked_table():
    #            estimated   awarded    savings
    # lot 1       8 500,00   7 651,00    849,00   (A 3 400,00 / 3 060,40 ; B 5 100,00 / 4 590,60)
    # lot 2         630,00     580,50     49,50   (A   420,00 /   387,00 ; B   210,00 /   193,50)
    # total       9 130,00   8 231,50    898,50   9,84 %
    result = compute_savings([laptops(), paper()])
    assert result.lots[1].estimate == Comparison(D("8500.00"), D("7651.00"))
    assert result.lots[2].estimate == Comparison(D("630.00"), D("580.50"))
    assert result.lots[2].estimate.percent == D("7.86")
    assert result.communes[A].estimate == Comparison(D("3820.00"), D("3447.40"))
    assert result.communes[B].estimate == Comparison(D("5310.00"), D("4784.10"))
    assert result.commune_lots[(A, 1)].estimate == Comparison(D("3400.00"), D("3060.40"))
    assert result.commune_lots[(B, 2)].estimate == Comparison(D("210.00"), D("193.50"))
    assert result.total.estimate == Comparison(D("9130.00"), D("8231.50"))
    assert result.total.estimate.savings == D("898.50")
    assert result.total.estimate.percent == D("9.84")
    assert (result.total.lines, result.lots[1].lines, result.communes[A].lines) == (2, 1, 2)


def test_commune_parts_are_split_by_largest_remainder_and_sum_exactly_to_the_line():
    # 3 × 0,3333 = 0,9999 → 1,00 € for the line; a third each is 0,333… : the cent left goes to
    # the tie-break (same remainder, same quantity) by INSEE code, 38001 first.
    line = SavingsLine(
        line_id=1,
        lot_id=1,
        quantity=3,
        estimated_unit=D("0.3333"),
        awarded_unit=D("0.3000"),
        shares=(Share(C, 1, "38003"), Share(A, 1, "38001"), Share(B, 1, "38002")),
    )
    result = compute_savings([line])
    estimated = {commune: totals.estimate.reference for commune, totals in result.communes.items()}
    assert estimated == {A: D("0.34"), B: D("0.33"), C: D("0.33")}
    assert sum(estimated.values()) == result.total.estimate.reference == D("1.00")
    awarded = {commune: totals.estimate.awarded for commune, totals in result.communes.items()}
    assert awarded == {A: D("0.30"), B: D("0.30"), C: D("0.30")}


def test_the_larger_remainder_then_the_larger_quantity_gets_the_cents_left():
    # 1,00 over 1 and 2: 0,333… and 0,666… → 0,33 and 0,66, the cent to the larger remainder.
    assert split_by_weight(D("1.00"), [(1, "b", 1), (2, "a", 2)]) == [D("0.33"), D("0.67")]
    # 0,05 over 1 and 1: equal remainders, equal weights → the smaller key first.
    assert split_by_weight(D("0.05"), [(1, "z", 1), (1, "a", 2)]) == [D("0.02"), D("0.03")]
    # 0,10 over 1 and 3: 0,025 and 0,075 → same remainder 0,005; the larger quantity wins.
    assert split_by_weight(D("0.10"), [(1, "a", 1), (3, "b", 2)]) == [D("0.02"), D("0.08")]


def test_a_zero_weight_gets_nothing_and_a_negative_amount_splits_as_its_opposite():
    assert split_by_weight(D("10.00"), [(0, "a", 1), (5, "b", 2)]) == [D("0.00"), D("10.00")]
    assert split_by_weight(D("-1.00"), [(1, "b", 1), (2, "a", 2)]) == [D("-0.33"), D("-0.67")]
    assert split_by_weight(D("3.00"), [(0, "a", 1)]) == [D("0.00")]


def test_an_award_above_the_estimate_is_a_negative_saving():
    line = SavingsLine(1, 1, 4, D("10.00"), D("12.50"), shares=(Share(A, 4),))
    result = compute_savings([line])
    assert result.total.estimate.savings == D("-10.00")
    assert result.total.estimate.percent == D("-25.00")


def test_a_zero_estimate_has_no_percentage():
    assert Comparison(D("0.00"), D("0.00")).percent is None
    assert Comparison(D("0.00"), D("5.00")).savings == D("-5.00")


def test_previous_prices_compare_only_the_lines_that_have_one():
    # Laptops were estimated at 900,00 (+ eco) last time: 9 000,00 against 7 651,00.
    # Paper had no previous price: it stays out of that comparison.
    result = compute_savings([laptops(previous=D("900.00")), paper()])
    assert result.lines[0].previous == Comparison(D("9000.00"), D("7651.00"))
    assert result.lines[1].previous is None
    assert result.total.previous == Comparison(D("9000.00"), D("7651.00"))
    assert result.total.previous.percent == D("14.99")  # 1 349 / 9 000
    assert (result.total.lines_with_previous, result.total.lines) == (1, 2)
    assert result.lots[2].has_previous is False
    assert result.communes[A].previous == Comparison(D("3600.00"), D("3060.40"))
    assert result.communes[B].previous == Comparison(D("5400.00"), D("4590.60"))


def test_a_line_without_shares_counts_for_its_lot_but_for_no_commune():
    line = SavingsLine(1, 1, 2, D("5.00"), D("4.00"))
    result = compute_savings([line])
    assert result.lots[1].estimate == Comparison(D("10.00"), D("8.00"))
    assert result.communes == {}


@pytest.mark.parametrize(
    ("quantities", "amount"),
    [((1, 2, 3, 4), D("99.99")), ((7, 7, 7), D("0.01")), ((13, 1, 1000), D("12345.67"))],
)
def test_split_parts_always_add_up(quantities, amount):
    weights = [(q, f"{i:05d}", i) for i, q in enumerate(quantities)]
    assert sum(split_by_weight(amount, weights)) == amount


def test_a_surcharge_is_a_positive_extra_cost_and_never_a_saving():
    dearer = Comparison(D("6445.70"), D("7651.00"))  # 18,7 % dearer than the reference
    assert dearer.surcharge and dearer.extra_cost == D("1205.30") and dearer.surcharge_percent == D("18.70")
    cheaper = Comparison(D("9000.00"), D("7651.00"))
    assert not cheaper.surcharge and cheaper.extra_cost == D("0.00") and cheaper.surcharge_percent is None


def test_totals_say_whether_they_compare_with_contract_prices_estimates_or_both():
    at_contract = replace(laptops(previous=D("644.57")), previous_reference=Reference.CONTRACT)
    at_estimate = paper(previous=D("4.00"))  # the default: an estimate
    result = compute_savings([at_contract, at_estimate])
    assert [line.previous_reference for line in result.lines] == [Reference.CONTRACT, Reference.ESTIMATE]
    assert result.lots[1].previous_reference is Reference.CONTRACT
    assert result.lots[2].previous_reference is Reference.ESTIMATE
    assert result.total.previous_reference is Reference.MIXED
    assert (result.total.lines_with_previous, result.total.lines_with_previous_contract) == (2, 1)
    assert result.communes[A].previous_reference is Reference.MIXED
    assert compute_savings([laptops()]).total.previous_reference is None
