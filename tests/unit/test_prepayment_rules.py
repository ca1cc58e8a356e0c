"""Prepayments (BT-113), pure: which prepayment invoices a final invoice deducts, and the titles of
the amount due that add up to the cent whatever the shares."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from groupement.invoices.prepayment_rules import Prepayment, match_prepayments, titles_after_prepayments

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
