"""Prepayments (BT-113), pure: which prepayment invoices a final invoice deducts, and the titles of
the amount due that add up to the cent whatever the shares."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from groupement.invoices.prepayment_rules import (
    Prepayment,
    deduct_prepayments,
    match_prepayments,
    titles_after_prepayments,
)

D = Decimal


def prepayment(id_: int, ttc: str, order: str | None = None, day: int = 1) -> Prepayment:
    return Prepayment(id_, f"AC-{id_}", date(2026, 3, day), D(ttc), order)


def test_the_prepayments_of_the_same_order_are_preferred_to_another_order_of_the_same_amount():
    other, same = prepayment(1, "1200.00", "BC-1", day=1), prepayment(2, "1200.00", "bc 2", day=2)
    match = match_prepayments(D("1200.00"), "BC2", [other, same])
    assert match.matched == (same,) and "de la même commande n° AC-2" in match.reason


def test_the_smallest_set_of_earliest_prepayments_that_makes_the_amount_is_matched():
    pool = [prepayment(1, "100.00", day=1), prepayment(2, "250.00", day=2), prepayment(3, "150.00", day=3)]
    assert [p.id for p in match_prepayments(D("250.00"), None, pool).matched] == [2]
    assert [p.id for p in match_prepayments(D("500.00"), None, pool).matched] == [1, 2, 3]
    assert [p.id for p in match_prepayments(D("400.00"), None, pool).matched] == [2, 3]


def test_no_match_names_what_was_found_and_its_total():
    match = match_prepayments(D("99.00"), None, [prepayment(1, "100.00")])
    assert not match.ok
    assert (
        "aucune combinaison" in match.reason
        and "n° AC-1 du 01/03/2026 (100,00\u00a0€) ; 100,00\u00a0€ en tout" in match.reason
    )
    assert "aucune facture d'acompte" in match_prepayments(D("99.00"), None, []).reason


def test_nothing_prepaid_leaves_the_shares_as_they_are_and_a_wholly_prepaid_invoice_bills_nothing():
    shares = {"a": D("10.01"), "b": D("5.00")}
    assert titles_after_prepayments(D("15.01"), D("0"), shares) == shares
    assert titles_after_prepayments(D("15.01"), D("15.01"), shares) == {"a": D("0.00"), "b": D("0.00")}


cents = st.integers(min_value=1, max_value=10**9).map(lambda n: D(n) / 100)


@given(
    shares=st.lists(cents, min_size=1, max_size=25),
    prepaid_fraction=st.fractions(min_value=0, max_value=1),
    credit_note=st.booleans(),
)
def test_the_titles_add_up_exactly_to_the_amount_due_and_follow_the_shares(shares, prepaid_fraction, credit_note):
    sign = -1 if credit_note else 1
    by_commune = {f"{38000 + i}": sign * s for i, s in enumerate(shares)}
    total = sum(by_commune.values(), D(0))
    prepaid = sign * (abs(total) * D(prepaid_fraction.numerator) / D(prepaid_fraction.denominator)).quantize(D("0.01"))
    if abs(prepaid) > abs(total):
        prepaid = total
    titles = titles_after_prepayments(total, prepaid, by_commune)
    assert set(titles) == set(by_commune)
    assert sum(titles.values(), D(0)) == total - prepaid
    assert all(t == t.quantize(D("0.01")) for t in titles.values())
    due = total - prepaid
    for commune, share in by_commune.items():
        # Each title is its exact proportional share of the amount due, give or take a cent.
        assert abs(titles[commune] - due * share / total) < D("0.01") + D("1e-20")
        assert titles[commune] * sign >= 0


def test_each_commune_deducts_what_it_was_titled_on_the_prepayment_when_the_splits_differ():
    # The prepayment (1 000,00 €) was all Commune A's; the final invoice (3 000,00 €) is half each.
    deduction = deduct_prepayments(
        D("3000.00"), D("1000.00"), {"A": D("1500.00"), "B": D("1500.00")}, {"A": D("1000.00")}
    )
    assert deduction.per_commune and deduction.amounts == {"A": D("500.00"), "B": D("1500.00")}
    assert "son titre d'acompte" in deduction.method


def test_a_commune_titled_on_the_prepayment_beyond_its_final_share_makes_the_deduction_pro_rata():
    # A would be billed 500,00 − 1 000,00 < 0: the amount due (2 000,00 €) is shared pro rata instead.
    deduction = deduct_prepayments(
        D("3000.00"), D("1000.00"), {"A": D("500.00"), "B": D("2500.00")}, {"A": D("1000.00")}
    )
    assert not deduction.per_commune and deduction.method == "au prorata des parts"
    assert deduction.amounts == {"A": D("333.33"), "B": D("1666.67")}


def test_prepayment_titles_that_do_not_make_the_deducted_amount_make_the_deduction_pro_rata():
    # One prepayment title was cancelled: the communes' titles no longer make the 1 000,00 € deducted.
    deduction = deduct_prepayments(
        D("3000.00"), D("1000.00"), {"A": D("1500.00"), "B": D("1500.00")}, {"A": D("600.00")}
    )
    assert not deduction.per_commune and sum(deduction.amounts.values()) == D("2000.00")


@given(
    final=st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=20),
    prepaid_cents=st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=20),
)
def test_whichever_way_the_prepayments_are_deducted_the_titles_make_the_amount_due_to_the_cent(final, prepaid_cents):
    shares = {f"{38000 + i}": D(c) / 100 for i, c in enumerate(final)}
    titled = {f"{38000 + i}": D(c) / 100 for i, c in enumerate(prepaid_cents) if c}
    total, prepaid = sum(shares.values(), D(0)), sum(titled.values(), D(0))
    if not prepaid or prepaid > total:
        return
    deduction = deduct_prepayments(total, prepaid, shares, titled)
    assert sum(deduction.amounts.values(), D(0)) == total - prepaid
    assert all(amount >= 0 and amount == amount.quantize(D("0.01")) for amount in deduction.amounts.values())
    if deduction.per_commune:  # what each commune is titled in all is its share of the whole supply
        assert all(deduction.amounts[c] + titled.get(c, D(0)) == share for c, share in shares.items())
