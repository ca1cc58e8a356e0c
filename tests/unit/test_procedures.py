from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groupement.lots.procedures import THRESHOLDS, LotValue, NoThreshold, Procedure, advise, euros_ht, threshold
from groupement.lots.rules import LotRuleError

D = Decimal
BEFORE_2026 = date(2025, 12, 31)
IN_2026 = date(2026, 1, 1)
BEFORE_APRIL = date(2026, 3, 31)
FROM_APRIL = date(2026, 4, 1)
MAY = date(2026, 5, 4)


def plain(text: str) -> str:
    """French formats use narrow and non-breaking spaces; compare with ordinary ones."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def lot(number: int, amount: str, group: str = "informatique") -> LotValue:
    return LotValue(key=str(number), number=number, title=f"Lot {number}", group=group, amount_ht=D(amount))


def single(amount: str, launch: date = MAY):
    return advise([lot(1, amount)], launch)["1"]


# --- thresholds as dated data -------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "launch", "value"),
    [
        ("formalised", BEFORE_2026, "221000"),
        ("formalised", IN_2026, "216000"),
        ("no_competition", BEFORE_APRIL, "40000"),
        ("no_competition", FROM_APRIL, "60000"),
        ("notice", BEFORE_2026, "90000"),
        ("notice", MAY, "90000"),
        ("decp", BEFORE_2026, "40000"),
        ("decp", FROM_APRIL, "40000"),
        ("small_lot", MAY, "80000"),
        ("small_lots_share", MAY, "20"),
    ],
)
def test_each_threshold_is_selected_by_the_launch_date(key, launch, value):
    assert threshold(key, launch) == D(value)


def test_a_threshold_unknown_for_the_date_raises_a_french_key_error():
    with pytest.raises(KeyError) as raised:
        threshold("formalised", date(2023, 6, 1))
    assert isinstance(raised.value, NoThreshold)
    assert str(raised.value) == "aucun seuil « formalised » connu pour une consultation lancée le 01/06/2023"
    with pytest.raises(NoThreshold):
        threshold("unknown", MAY)


def test_no_two_thresholds_of_the_same_key_overlap_and_each_names_its_source():
    far_past, far_future = date(1900, 1, 1), date(2100, 1, 1)
    for i, first in enumerate(THRESHOLDS):
        assert first.source
        for second in THRESHOLDS[i + 1 :]:
            if first.key != second.key:
                continue
            overlap_start = max(first.effective_from or far_past, second.effective_from or far_past)
            overlap_end = min(first.effective_to or far_future, second.effective_to or far_future)
            assert overlap_start > overlap_end, (first, second)


def test_the_dated_thresholds_follow_each_other_without_a_gap():
    for key in ("formalised", "no_competition"):
        periods = sorted((t for t in THRESHOLDS if t.key == key), key=lambda t: t.effective_from)
        for before, after in zip(periods, periods[1:], strict=False):
            assert before.effective_to + timedelta(days=1) == after.effective_from


# --- boundaries of the group total -------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "procedure"),
    [
        ("59999.99", Procedure.NO_COMPETITION),
        ("60000", Procedure.MAPA_FREE),
        ("60000.01", Procedure.MAPA_FREE),
        ("89999.99", Procedure.MAPA_FREE),
        ("90000", Procedure.MAPA_NOTICE),
        ("90000.01", Procedure.MAPA_NOTICE),
        ("215999.99", Procedure.MAPA_NOTICE),
        ("216000", Procedure.FORMALISED),
        ("216000.01", Procedure.FORMALISED),
    ],
)
def test_each_boundary_from_april_2026_counts_an_equal_amount_as_at_or_above(amount, procedure):
    assert single(amount, MAY).procedure is procedure


@pytest.mark.parametrize(
    ("amount", "procedure"),
    [
        ("39999.99", Procedure.NO_COMPETITION),
        ("40000", Procedure.MAPA_FREE),
        ("40000.01", Procedure.MAPA_FREE),
        ("89999.99", Procedure.MAPA_FREE),
        ("90000", Procedure.MAPA_NOTICE),
        ("220999.99", Procedure.MAPA_NOTICE),
        ("221000", Procedure.FORMALISED),
        ("221000.01", Procedure.FORMALISED),
    ],
)
def test_each_boundary_in_2025_uses_the_2025_thresholds(amount, procedure):
    assert single(amount, date(2025, 6, 1)).procedure is procedure


def test_59_999_euros_need_no_competition_from_april_2nd_2026_but_a_mapa_on_march_31st():
    assert single("59999", date(2026, 4, 2)).procedure is Procedure.NO_COMPETITION
    assert single("59999", BEFORE_APRIL).procedure is Procedure.MAPA_FREE
    assert single("59999", FROM_APRIL).procedure is Procedure.NO_COMPETITION


def test_the_no_competition_threshold_between_40_000_and_60_000_depends_on_the_launch_date():
    assert single("40000", BEFORE_APRIL).procedure is Procedure.MAPA_FREE
    assert single("40000", FROM_APRIL).procedure is Procedure.NO_COMPETITION
    assert single("39999.99", BEFORE_APRIL).procedure is Procedure.NO_COMPETITION


def test_between_216_000_and_221_000_the_procedure_changes_on_january_1st_2026():
    assert single("216000", BEFORE_2026).procedure is Procedure.MAPA_NOTICE
    assert single("216000", IN_2026).procedure is Procedure.FORMALISED
    assert single("220999.99", BEFORE_2026).procedure is Procedure.MAPA_NOTICE
    assert single("220999.99", IN_2026).procedure is Procedure.FORMALISED
    assert single("221000", BEFORE_2026).procedure is Procedure.FORMALISED
    assert single("215999.99", IN_2026).procedure is Procedure.MAPA_NOTICE


# --- homogeneity ---------------------------------------------------------------------------


def test_homogeneous_lots_are_added_up_so_small_lots_of_a_big_group_are_formalised():
    advice = advise([lot(1, "150000"), lot(2, "100000"), lot(3, "90000")], MAY)
    assert {a.group_total for a in advice.values()} == {D("340000")}
    assert {a.procedure for a in advice.values()} == {Procedure.FORMALISED}


def test_two_groups_are_computed_independently():
    lots = [
        lot(1, "150000", "informatique"),
        lot(2, "100000", "informatique"),
        lot(3, "50000", "fournitures"),
        lot(4, "45000", "fournitures"),
        lot(5, "30000", "vehicules"),
    ]
    advice = advise(lots, MAY)
    assert [advice[str(n)].group_total for n in range(1, 6)] == [
        D("250000"),
        D("250000"),
        D("95000"),
        D("95000"),
        D("30000"),
    ]
    assert [advice[str(n)].procedure for n in range(1, 6)] == [
        Procedure.FORMALISED,
        Procedure.FORMALISED,
        Procedure.MAPA_NOTICE,
        Procedure.MAPA_NOTICE,
        Procedure.NO_COMPETITION,
    ]
    assert not any(a.small_lot_exception for a in advice.values())


def test_the_advice_keeps_the_order_of_the_lots_given():
    lots = [lot(3, "10", "b"), lot(1, "10", "a"), lot(2, "10", "b")]
    assert list(advise(lots, MAY)) == ["3", "1", "2"]


def test_repeated_keys_and_negative_amounts_are_refused_in_french():
    with pytest.raises(LotRuleError, match="identifiant distinct"):
        advise([lot(1, "10"), lot(1, "20")], MAY)
    with pytest.raises(LotRuleError, match="lot 2 : le montant estimé ne peut pas être négatif"):
        advise([lot(1, "10"), lot(2, "-1")], MAY)


def test_no_lot_gives_no_advice():
    assert advise([], MAY) == {}


# --- petits lots (R2123-1 2°) ------------------------------------------------------------


def test_small_lots_under_80_000_within_20_percent_may_use_a_mapa_in_a_formalised_group():
    # total 300 000, cap 60 000: lots 2 (25 000) and 3 (35 000) fit exactly (60 000 ≤ 60 000)
    advice = advise([lot(1, "240000"), lot(2, "25000"), lot(3, "35000")], MAY)
    assert advice["1"].procedure is Procedure.FORMALISED and not advice["1"].small_lot_exception
    assert advice["2"].small_lot_exception and advice["3"].small_lot_exception
    # under the no-competition threshold (60 000 from April 2026) a small lot needs no competition (R2122-8)
    assert advice["2"].procedure is Procedure.NO_COMPETITION
    assert advice["3"].procedure is Procedure.NO_COMPETITION


def test_a_small_lot_at_or_above_the_no_competition_threshold_gets_a_mapa_with_free_advertising():
    # total 400 000, cap 80 000: lot 2 (60 000) is a petit lot, but not under 60 000
    advice = advise([lot(1, "340000"), lot(2, "60000")], MAY)
    assert advice["2"].small_lot_exception
    assert advice["2"].procedure is Procedure.MAPA_FREE
    before_april = advise([lot(1, "340000"), lot(2, "45000")], BEFORE_APRIL)
    assert before_april["2"].small_lot_exception
    assert before_april["2"].procedure is Procedure.MAPA_FREE


def test_the_20_percent_cap_is_inclusive_and_one_cent_more_is_refused():
    at_cap = advise([lot(1, "200000"), lot(2, "50000")], MAY)  # 50 000 = 20 % of 250 000
    assert at_cap["2"].small_lot_exception
    over_cap = advise([lot(1, "199999.99"), lot(2, "50000.01")], MAY)  # 50 000,01 > 50 000
    assert not over_cap["2"].small_lot_exception
    assert over_cap["2"].procedure is Procedure.FORMALISED


def test_a_lot_of_80_000_or_more_is_never_a_small_lot():
    # total 500 000, cap 100 000: the cap would allow 80 000 but the lot limit does not
    advice = advise([lot(1, "420000"), lot(2, "80000")], MAY)
    assert not advice["2"].small_lot_exception
    assert advice["2"].procedure is Procedure.FORMALISED
    just_under = advise([lot(1, "420000.01"), lot(2, "79999.99")], MAY)
    assert just_under["2"].small_lot_exception
    assert just_under["2"].procedure is Procedure.MAPA_FREE


def test_small_lots_are_chosen_smallest_first_until_the_cap():
    # total 250 000, cap 50 000: 10 000 + 15 000 + 20 000 = 45 000; + 30 000 would exceed it
    advice = advise([lot(1, "175000"), lot(2, "30000"), lot(3, "20000"), lot(4, "10000"), lot(5, "15000")], MAY)
    assert {key for key, a in advice.items() if a.small_lot_exception} == {"3", "4", "5"}
    assert advice["2"].procedure is Procedure.FORMALISED
    assert any("leur total dépasserait 20" in s for s in advice["2"].explanation)


def test_equal_small_lots_are_tie_broken_by_lot_number():
    # total 250 000, cap 50 000: two of the three lots of 20 000 fit, the lower numbers
    advice = advise([lot(7, "20000"), lot(1, "190000"), lot(5, "20000"), lot(3, "20000")], MAY)
    assert {key for key, a in advice.items() if a.small_lot_exception} == {"3", "5"}
    assert advice["7"].procedure is Procedure.FORMALISED


def test_the_small_lots_exception_does_not_apply_below_the_formalised_threshold():
    advice = advise([lot(1, "180000"), lot(2, "20000")], MAY)
    assert advice["2"].procedure is Procedure.MAPA_NOTICE
    assert not any(a.small_lot_exception for a in advice.values())


def test_the_small_lots_cap_is_computed_per_group():
    lots = [lot(1, "200000"), lot(2, "50000"), lot(3, "100000", "vehicules"), lot(4, "150000", "vehicules")]
    advice = advise(lots, MAY)
    assert advice["2"].small_lot_exception  # 50 000 ≤ 20 % of 250 000, the vehicles do not count
    assert advice["3"].procedure is Procedure.FORMALISED and not advice["3"].small_lot_exception


# --- DECP and environmental criterion -----------------------------------------------------


def test_decp_publication_is_due_from_40_000_on_the_lot_own_amount():
    assert not single("39999.99").decp_due
    assert single("40000").decp_due
    assert single("40000.01").decp_due
    advice = advise([lot(1, "300000"), lot(2, "39999.99"), lot(3, "40000")], MAY)
    assert advice["1"].decp_due and not advice["2"].decp_due and advice["3"].decp_due


def test_an_environmental_criterion_is_required_from_august_21st_2026():
    assert not single("100000", date(2026, 8, 20)).environmental_criterion_required
    assert single("100000", date(2026, 8, 21)).environmental_criterion_required
    assert single("100000", date(2026, 8, 22)).environmental_criterion_required


# --- French explanation --------------------------------------------------------------------


def test_amounts_are_written_without_cents_when_whole_and_with_cents_otherwise():
    assert euros_ht(D("248300")) == "248\u202f300\u00a0€\u00a0HT"
    assert euros_ht(D("248300.00")) == "248\u202f300\u00a0€\u00a0HT"
    assert euros_ht(D("39999.99")) == "39\u202f999,99\u00a0€\u00a0HT"
    assert euros_ht(D("1000.5")) == "1\u202f000,50\u00a0€\u00a0HT"


def test_the_explanation_states_the_group_total_against_the_threshold_in_french():
    advice = advise([lot(1, "200000"), lot(2, "48300")], date(2026, 9, 1))
    sentences = [plain(s) for s in advice["1"].explanation]
    assert sentences[0] == (
        "Montant estimé total des fournitures homogènes : 248 300 € HT > 216 000 € HT : "
        "appel d'offres (procédure formalisée), avis au BOAMP et au JOUE."
    )
    assert sentences[1].startswith("Fournitures homogènes « informatique » : lots 1 et 2, additionnés")
    assert (
        "Montant du lot : 200 000 € HT ≥ 40 000 € HT : données essentielles (DECP) à publier "
        "dans les 2 mois suivant la notification (art. R2196-1)."
    ) in sentences
    assert any("critère d'attribution" in s and "21/08/2026" in s for s in sentences)


def test_the_explanation_of_each_band_names_both_bounds():
    assert plain(single("216000").explanation[0]).startswith(
        "Montant estimé total des fournitures homogènes : 216 000 € HT ≥ 216 000 € HT : appel d'offres"
    )
    assert plain(single("120000").explanation[0]) == (
        "Montant estimé total des fournitures homogènes : 120 000 € HT ≥ 90 000 € HT et < 216 000 € HT : "
        "procédure adaptée avec avis au BOAMP ou dans un JAL (art. R2131-12)."
    )
    assert plain(single("75000.50").explanation[0]) == (
        "Montant estimé total des fournitures homogènes : 75 000,50 € HT ≥ 60 000 € HT et < 90 000 € HT : "
        "procédure adaptée, publicité libre."
    )
    assert plain(single("45000", BEFORE_APRIL).explanation[0]) == (
        "Montant estimé total des fournitures homogènes : 45 000 € HT ≥ 40 000 € HT et < 90 000 € HT : "
        "procédure adaptée, publicité libre."
    )
    assert plain(single("59999").explanation[0]) == (
        "Montant estimé total des fournitures homogènes : 59 999 € HT < 60 000 € HT : "
        "sans publicité ni mise en concurrence préalables (art. R2122-8)."
    )
    no_decp = plain(single("39999.99").explanation[-1])
    assert no_decp == (
        "Montant du lot : 39 999,99 € HT < 40 000 € HT : "
        "pas de publication des données essentielles (DECP) obligatoire."
    )


def test_the_explanation_of_a_small_lot_names_r2123_1_and_the_cap():
    advice = advise([lot(1, "200000"), lot(2, "50000")], BEFORE_APRIL)
    sentences = [plain(s) for s in advice["2"].explanation]
    assert (
        "Exception des petits lots (art. R2123-1 2°) : ce lot (50 000 € HT < 80 000 € HT) fait partie des "
        "petits lots retenus, qui totalisent 50 000 € HT ≤ 20 % du total (50 000 € HT) : "
        "procédure adaptée, publicité libre."
    ) in sentences
    assert not any(s.startswith("Consultation lancée") for s in sentences)


def test_procedure_labels_are_french():
    assert Procedure.NO_COMPETITION.label == "Sans publicité ni mise en concurrence préalables (art. R2122-8)"
    assert Procedure.MAPA_FREE.label == "Procédure adaptée, publicité libre"
    assert Procedure.MAPA_NOTICE.label == "Procédure adaptée avec avis au BOAMP ou dans un JAL (art. R2131-12)"
    assert Procedure.FORMALISED.label == "Appel d'offres (procédure formalisée), avis au BOAMP et au JOUE"
    assert Procedure("mapa_free") is Procedure.MAPA_FREE


# --- properties ----------------------------------------------------------------------------

amounts = st.decimals(min_value=0, max_value=400_000, places=2, allow_nan=False, allow_infinity=False)
random_lots = st.lists(
    st.tuples(amounts, st.sampled_from(["informatique", "fournitures", "vehicules"])), min_size=1, max_size=12
)
launch_dates = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


@settings(max_examples=300, deadline=None)
@given(random_lots, launch_dates)
def test_small_lots_never_exceed_20_percent_and_formalised_groups_have_no_other_procedure(values, launch):
    lots = [lot(n, str(amount), group) for n, (amount, group) in enumerate(values, start=1)]
    advice = advise(lots, launch)
    assert set(advice) == {item.key for item in lots}
    for group in {item.group for item in lots}:
        members = [item for item in lots if item.group == group]
        total = sum((item.amount_ht for item in members), D(0))
        small = [item for item in members if advice[item.key].small_lot_exception]
        assert sum((item.amount_ht for item in small), D(0)) * 5 <= total
        assert all(item.amount_ht < D("80000") for item in small)
        small_total = sum((item.amount_ht for item in small), D(0))
        if total >= threshold("formalised", launch):  # smallest first: no other small lot would still fit
            left_out = [item for item in members if item.amount_ht < D("80000") and item not in small]
            assert all((small_total + item.amount_ht) * 5 > total for item in left_out)
        for item in members:
            result = advice[item.key]
            assert result.group_total == total
            assert result.decp_due == (item.amount_ht >= D("40000"))
            if total >= threshold("formalised", launch):
                assert result.procedure is Procedure.FORMALISED or result.small_lot_exception
            else:
                assert not result.small_lot_exception
                assert result.procedure is not Procedure.FORMALISED
