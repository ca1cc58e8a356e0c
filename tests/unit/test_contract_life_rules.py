"""The contract's life as pure dated rules: renewal deadlines and ends, the legal limits of
amendments by date and nature, the revision coefficient and its rounding, the price in force."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from groupement.contracts.amendment_rules import AmendmentRefused, Ground, check_amendment
from groupement.contracts.order_rules import add_months
from groupement.contracts.renewal_rules import RenewalRefused, RenewalState, RenewalTerms, decide, pending
from groupement.contracts.revision_rules import (
    Formula,
    Revision,
    RevisionRefused,
    Term,
    coefficient,
    due_number,
    parse_index_value,
    parse_month,
    price_in_force_reason,
    revised_price,
)
from groupement.contracts.rules import ContractNature

D = Decimal
TERMS = RenewalTerms(date(2027, 1, 1), 12, 3, 12, 3)


def test_months_are_added_to_the_same_day_or_the_last_day_of_a_shorter_month():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 3, 31), -1) == date(2028, 2, 29)
    assert add_months(date(2027, 11, 15), 14) == date(2029, 1, 15)


def test_each_renewal_moves_the_end_and_is_decided_before_its_notice_deadline():
    assert TERMS.end_after(0) == date(2027, 12, 31)
    assert TERMS.end_after(1) == date(2028, 12, 31)
    assert TERMS.deadline(1) == date(2027, 9, 30)  # three months before 01/01/2028, the day before
    state = decide(TERMS, RenewalState(0, False), 1, True, date(2027, 9, 30))
    assert state == RenewalState(1, False)
    assert pending(TERMS, state, date(2027, 10, 1)).deadline == date(2028, 9, 30)


def test_a_late_renewal_is_refused_but_a_non_renewal_closes_the_renewals():
    with pytest.raises(RenewalRefused, match="était le 30/09/2027"):
        decide(TERMS, RenewalState(0, False), 1, True, date(2027, 10, 1))
    closed = decide(TERMS, RenewalState(0, False), 1, False, date(2027, 10, 1))
    assert closed.closed and pending(TERMS, closed, date(2027, 10, 2)) is None
    with pytest.raises(RenewalRefused, match="reconduction n° 1, pas n° 2"):
        decide(TERMS, RenewalState(0, False), 2, True, date(2027, 1, 2))


def test_the_total_duration_stays_within_four_years():
    RenewalTerms(date(2027, 1, 1), 12, 3, 12, 3).check()
    with pytest.raises(RenewalRefused, match="49 mois"):
        RenewalTerms(date(2027, 1, 1), 13, 3, 12, 3).check()


ZERO, HUNDRED_THOUSAND = D(0), D("100000")


def _amend(amount, before=ZERO, on=date(2026, 6, 1), nature=ContractNature.FOURNITURES, initial=HUNDRED_THOUSAND, **kw):
    return check_amendment(
        initial_amount=initial,
        current_maximum=initial,
        amount=D(amount),
        ground=kw.pop("ground", Ground.DE_MINIMIS),
        justification=kw.pop("justification", ""),
        de_minimis_before=before,
        on=on,
        nature=nature,
    )


def test_de_minimis_amendments_cumulate_below_ten_per_cent_for_supplies_and_fifteen_for_works():
    assert _amend("9999.99").maximum_after == D("109999.99")
    with pytest.raises(AmendmentRefused, match="10 %"):
        _amend("10000")
    with pytest.raises(AmendmentRefused, match="déjà 6\u202f000,00"):
        _amend("-4000", before=D("6000"))
    assert _amend("14999", nature=ContractNature.TRAVAUX).limit == D("15000.00")


def test_the_european_threshold_is_the_one_in_force_on_the_day_of_the_amendment():
    big = D("3000000")
    assert _amend("215999", initial=big, on=date(2026, 1, 1)).limit == D("216000")
    assert _amend("220999", initial=big, on=date(2025, 12, 31)).limit == D("221000")
    with pytest.raises(AmendmentRefused, match=r"en vigueur le 01/01/2026 \(216\u202f000,00"):
        _amend("216000", initial=big, on=date(2026, 1, 1))


def test_another_ground_needs_a_justification_and_stays_within_half_for_unforeseen_circumstances():
    why = "Circonstances imprévisibles : rupture d'approvisionnement mondiale."
    with pytest.raises(AmendmentRefused, match="justification"):
        _amend("30000", ground=Ground.UNFORESEEABLE)
    assert _amend("30000", ground=Ground.UNFORESEEABLE, justification=why).limit is None
    with pytest.raises(AmendmentRefused, match="50 %"):
        _amend("50001", ground=Ground.UNFORESEEABLE, justification=why)
    assert _amend("80000", ground=Ground.NON_SUBSTANTIAL, justification=why).maximum_after == D("180000")


FORMULA = Formula(D("0.15"), (Term("ICHT-IME", D("0.85")),), date(2027, 1, 1), 12)


def test_the_coefficient_is_rounded_to_four_decimals_then_each_price_to_four():
    values = {("ICHT-IME", date(2027, 1, 1)): D("112.3"), ("ICHT-IME", date(2028, 1, 1)): D("115.7")}
    value = coefficient(FORMULA, 1, values)  # 0,15 + 0,85 × 115,7 / 112,3 = 1,025734…
    assert value == D("1.0257")
    assert revised_price(D("849.00"), value) == D("870.8193")
    with pytest.raises(RevisionRefused, match="ICHT-IME de 01/2029"):
        coefficient(FORMULA, 2, values)


def test_a_formula_whose_parts_do_not_sum_to_one_is_refused():
    with pytest.raises(RevisionRefused, match="exactement 1"):
        Formula(D("0.2"), (Term("A", D("0.85")),), date(2027, 1, 1)).check()
    FORMULA.check()
    assert FORMULA.text() == "P = P0 × (0,15 + 0,85 × ICHT-IME/ICHT-IME₀)"


def test_revisions_fall_due_on_each_anniversary_and_a_missing_one_keeps_the_previous_price():
    start = date(2027, 3, 1)
    assert [due_number(start, 12, d) for d in (date(2028, 2, 29), date(2028, 3, 1), date(2030, 3, 1))] == [0, 1, 3]
    done = [Revision(1, date(2028, 3, 1))]
    assert price_in_force_reason(1, done, start, 12, []) == (1, "")
    used, why = price_in_force_reason(2, done, start, 12, ["ICHT-IME de 01/2029"])
    assert used == 1 and "révision n° 2 (à partir du 01/03/2029)" in why and "prix de la révision n° 1 maintenus" in why


@pytest.mark.parametrize("raw", ["", "-1", "0", "1e3", "NaN", "１２", "1,23456", "123456789", "1.2.3"])
def test_odd_index_values_are_refused(raw):
    with pytest.raises(RevisionRefused):
        parse_index_value(raw, "Valeur")


def test_index_months_are_read_the_french_and_the_iso_way():
    assert parse_month("01/2027", "mois") == parse_month("2027-01", "mois") == date(2027, 1, 1)
    for raw in ("13/2027", "2027", "1/27", "01/3000"):
        with pytest.raises(RevisionRefused):
            parse_month(raw, "mois")


def test_a_works_contract_meets_the_works_threshold_in_force_on_the_day():
    huge = D("100000000")
    assert _amend("5403999", initial=huge, on=date(2026, 1, 1), nature=ContractNature.TRAVAUX).limit == D("5404000")
    assert _amend("5537999", initial=huge, on=date(2025, 12, 31), nature=ContractNature.TRAVAUX).limit == D("5538000")
    assert _amend("5381999", initial=huge, on=date(2023, 6, 1), nature=ContractNature.TRAVAUX).limit == D("5382000")
    with pytest.raises(AmendmentRefused, match=r"travaux\) et sous le seuil européen en vigueur le 01/01/2026"):
        _amend("5404000", initial=huge, on=date(2026, 1, 1), nature=ContractNature.TRAVAUX)
    assert _amend("9999", nature=ContractNature.SERVICES).limit == D("10000.00")  # services count as supplies
