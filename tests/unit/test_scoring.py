from datetime import date
from decimal import Decimal

import pytest

from groupement.tenders.scoring import (
    Candidate,
    Criteria,
    ScoringError,
    criteria_problems,
    is_abnormally_low,
    method_text,
    price_score,
    rank,
    score_problem,
    to_points,
)

D = Decimal
PRICE_60 = Criteria(D(60), D(30), D(10))  # price 60, technical value 30, environment 10
OUT_OF_RANGE = "La note « valeur technique » est comprise entre 0 et 40 points (le poids du critère)."


def test_three_offers_get_price_scores_proportional_to_the_lowest_total():
    ranked = rank(
        [Candidate(1, "Alpha", D("120000")), Candidate(2, "Bêta", D("100000")), Candidate(3, "Gamma", D("150000"))],
        PRICE_60,
    )
    assert [(r.candidate.name, r.price_score, r.rank) for r in ranked] == [
        ("Bêta", D("60.00"), 1),
        ("Alpha", D("50.00"), 2),
        ("Gamma", D("40.00"), 3),
    ]


@pytest.mark.parametrize(
    ("weight", "lowest", "total", "expected"),
    [
        (D(60), D("100000"), D("100000"), D("60.00")),
        (D(60), D("100000"), D("130000"), D("46.15")),  # 46,153…
        (D(40), D("1000"), D("3000"), D("13.33")),  # 13,333…
        (D(50), D("1"), D("8"), D("6.25")),  # exact
        (D(1), D("1"), D("8"), D("0.13")),  # 0,125: half up
        (D(60), D("0"), D("0"), D("60.00")),  # a free offer is the lowest
    ],
)
def test_price_score_worked_table(weight, lowest, total, expected):
    assert price_score(weight, lowest, total) == expected


def test_a_price_score_refuses_a_lowest_total_above_the_offer():
    with pytest.raises(ScoringError):
        price_score(D(60), D("200"), D("100"))


def test_scores_are_rounded_half_up_to_the_hundredth():
    assert to_points(D("0.005")) == D("0.01")
    assert to_points(D("12.344999")) == D("12.34")


def test_the_weighted_total_adds_the_price_score_and_the_officers_scores():
    ranked = rank(
        [
            Candidate(1, "Alpha", D("100000"), technical=D("20"), environmental=D("5")),
            Candidate(2, "Bêta", D("120000"), technical=D("30"), environmental=D("10")),
        ],
        PRICE_60,
    )
    assert [(r.candidate.name, r.weighted_total, r.complete) for r in ranked] == [
        ("Bêta", D("90.00"), True),  # 50 + 30 + 10
        ("Alpha", D("85.00"), True),  # 60 + 20 + 5
    ]


def test_a_missing_score_makes_the_ranking_incomplete_and_counts_as_zero():
    ranked = rank([Candidate(1, "Alpha", D("100"), technical=D("10"))], PRICE_60)
    assert ranked[0].complete is False
    assert ranked[0].environmental_score is None
    assert ranked[0].weighted_total == D("70.00")


def test_a_criterion_without_weight_needs_no_score():
    ranked = rank([Candidate(1, "Alpha", D("100"), technical=D("25"))], Criteria(D(75), D(25), D(0)))
    assert ranked[0].complete is True
    assert ranked[0].weighted_total == D("100.00")


def test_ties_are_broken_by_the_lowest_total_then_technical_then_name_then_registration_order():
    criteria = Criteria(D(50), D(50), D(0))
    ranked = rank(
        [
            # Same weighted total 75: Delta is cheaper, so first.
            Candidate(4, "Gamma", D("200"), technical=D("50")),  # 25 + 50
            Candidate(3, "Delta", D("100"), technical=D("25")),  # 50 + 25
            # Exactly the same offer twice: alphabetical, then the earlier registration.
            Candidate(9, "Zêta", D("400"), technical=D("10")),
            Candidate(8, "epsilon", D("400"), technical=D("10")),
            Candidate(7, "Zêta", D("400"), technical=D("10")),
        ],
        criteria,
    )
    assert [(r.candidate.key, r.rank) for r in ranked] == [(3, 1), (4, 2), (8, 3), (7, 4), (9, 5)]


def test_an_offer_under_70_percent_of_the_mean_of_the_others_is_flagged_not_rejected():
    ranked = rank(
        [Candidate(1, "Alpha", D("60000")), Candidate(2, "Bêta", D("100000")), Candidate(3, "Gamma", D("120000"))],
        PRICE_60,
    )
    flags = {r.candidate.name: r.abnormally_low for r in ranked}
    assert flags == {"Alpha": True, "Bêta": False, "Gamma": False}  # 60 000 < 0,7 × 110 000 = 77 000
    assert ranked[0].candidate.name == "Alpha" and ranked[0].rank == 1  # still ranked: never rejected


@pytest.mark.parametrize(
    ("total", "others", "estimate", "percent", "expected"),
    [
        (D("70000"), [D("100000")], None, D(70), False),  # exactly 70 %: not under
        (D("69999.99"), [D("100000")], None, D(70), True),
        (D("50000"), [], D("100000"), D(70), True),  # alone: against the estimate
        (D("80000"), [], D("100000"), D(70), False),
        (D("1"), [], None, D(70), False),  # alone and no estimate: no reference
        (D("79000"), [D("100000")], None, D(80), True),  # the lot's own threshold
    ],
)
def test_abnormally_low_rule_worked_table(total, others, estimate, percent, expected):
    assert is_abnormally_low(total, others, estimate, percent) is expected


def test_the_lone_offer_is_compared_with_the_estimate():
    ranked = rank([Candidate(1, "Alpha", D("50"))], PRICE_60, estimate=D("100"))
    assert ranked[0].abnormally_low is True


def test_without_criteria_offers_come_by_total_and_nothing_is_scored():
    ranked = rank([Candidate(1, "Alpha", D("300")), Candidate(2, "Bêta", D("200"))], None)
    assert [(r.candidate.name, r.rank, r.price_score, r.weighted_total) for r in ranked] == [
        ("Bêta", 1, None, None),
        ("Alpha", 2, None, None),
    ]


def test_no_candidates_no_ranking():
    assert rank([], PRICE_60) == []


def test_weights_must_sum_to_100_and_include_the_price():
    assert criteria_problems(Criteria(D(60), D(40), D(0)), date(2026, 3, 1)) == []
    assert criteria_problems(Criteria(D(60), D(30), D(0)), date(2026, 3, 1)) == [
        "Les poids des critères doivent totaliser 100 (total actuel : 90)."
    ]
    assert any("R2152-7" in p for p in criteria_problems(Criteria(D(0), D(100), D(0)), date(2026, 3, 1)))
    assert any("entre 0 et 100" in p for p in criteria_problems(Criteria(D(120), D(-20), D(0)), date(2026, 3, 1)))


def test_an_environmental_weight_is_required_from_21_august_2026():
    no_environment = Criteria(D(60), D(40), D(0))
    assert criteria_problems(no_environment, date(2026, 8, 20)) == []
    problems = criteria_problems(no_environment, date(2026, 8, 21))
    assert len(problems) == 1 and "L2152-7" in problems[0] and "21/08/2026" in problems[0]
    assert criteria_problems(Criteria(D(60), D(30), D(10)), date(2026, 8, 21)) == []


def test_the_abnormally_low_threshold_is_a_percentage_between_0_and_100():
    assert criteria_problems(Criteria(D(60), D(40), D(0), D(0)), date(2026, 1, 1)) == [
        "Le seuil d'offre anormalement basse est un pourcentage strictement compris entre 0 et 100."
    ]


@pytest.mark.parametrize(
    ("score", "weight", "justification", "expected"),
    [
        (D("30"), D(40), "Mémoire technique complet.", None),
        (D("41"), D(40), "Trop", OUT_OF_RANGE),
        (D("-1"), D(40), "Négatif", OUT_OF_RANGE),
        (None, D(40), "", "Note « valeur technique » manquante."),
        (D("30"), D(40), "   ", "Justifiez par écrit la note « valeur technique »."),
        (D("30.123"), D(40), "Précis", "La note « valeur technique » a deux décimales au plus."),
        (None, D(0), "", None),
    ],
)
def test_an_officers_score_is_within_the_weight_and_justified(score, weight, justification, expected):
    assert score_problem("valeur technique", score, weight, justification) == expected


def test_the_method_is_written_in_french_with_the_lots_threshold():
    text = " ".join(method_text(D("65")))
    assert "65 % de la moyenne des autres offres" in text
    assert "jamais écartée automatiquement" in text
    assert "total DQE le plus bas" in text
