from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groupement.lots.aggregation import NeedRow, aggregate
from groupement.lots.allotment import default_lot
from groupement.lots.rules import LotRuleError, LotStatus, lot_amounts
from groupement.organisations.families import Family

needs = st.lists(st.builds(NeedRow, st.integers(1, 22), st.integers(1, 40), st.integers(0, 1_000_000)), max_size=300)


@given(needs)
def test_each_line_is_the_exact_sum_of_its_shares_and_of_the_needs(rows):
    lines = aggregate(rows)
    for line in lines:
        assert line.total_quantity == sum(q for _, q in line.shares) > 0
        assert line.total_quantity == sum(r.quantity for r in rows if r.item_id == line.item_id)
        assert all(q > 0 for _, q in line.shares)
    assert sum(line.total_quantity for line in lines) == sum(r.quantity for r in rows)
    assert [line.item_id for line in lines] == sorted({r.item_id for r in rows if r.quantity})


def test_two_needs_of_a_commune_for_the_same_item_make_one_share():
    (line,) = aggregate([NeedRow(1, 7, 2), NeedRow(1, 7, 3), NeedRow(2, 7, 5)])
    assert line.shares == ((1, 5), (2, 5)) and line.total_quantity == 10


def test_a_negative_need_is_refused():
    with pytest.raises(LotRuleError, match="quantité négative pour l'article 1"):
        aggregate([NeedRow(1, 1, -1)])


@pytest.mark.parametrize(
    ("family", "cpv", "ref", "title"),
    [
        (Family.INFORMATIQUE, "30213100-6", "INF-PORT", "Postes de travail, écrans et accessoires"),
        (Family.INFORMATIQUE, "30232110-8", "INF-IMP", "Impression et numérisation"),
        (Family.INFORMATIQUE, "32420000-3", "INF-RES", "Réseau, stockage et alimentation"),
        (Family.INFORMATIQUE, "38652120-7", "INF-VPROJ", "Autres équipements informatiques et audiovisuels"),
        (Family.FOURNITURES, "30197630-1", "FOU-PAP", "Papier et enveloppes"),
        (Family.FOURNITURES, "30125100-2", "FOU-TON", "Consommables d'impression"),
        (Family.FOURNITURES, "30192121-5", "FOU-STY", "Petites fournitures de bureau"),
        (Family.VEHICULES, "34144900-7", "VEH-VU-FG12-ELEC", "Véhicules utilitaires"),
        (Family.VEHICULES, "34144900-7", "VEH-VP-ELEC-CIT", "Véhicules particuliers et minibus"),
        (Family.VEHICULES, "34422000-7", "VEH-VAE", "Deux-roues, cycles, remorques et recharge"),
    ],
)
def test_items_start_in_the_lot_of_their_family_and_cpv_group(family, cpv, ref, title):
    assert default_lot(family, cpv, ref)[1] == title


def test_lot_amounts_cover_the_duration_and_the_margin_rounded_up_to_the_euro():
    amounts = lot_amounts([Decimal("1000.00"), Decimal("234.56")], 48, Decimal("20"))
    assert amounts.yearly_estimate == Decimal("1234.56")
    assert amounts.duration_estimate == Decimal("4938.24")
    assert amounts.default_maximum == Decimal("5926")  # 5 925,888 rounded up


@pytest.mark.parametrize("months", [0, 49])
def test_a_framework_agreement_lasts_one_to_48_months(months):
    with pytest.raises(LotRuleError, match="48 mois"):
        lot_amounts([], months, Decimal("20"))


def test_a_count_of_lots_agrees_with_its_status_label():
    assert LotStatus.AWARDED.counted(10) == "attribués" and LotStatus.AWARDED.counted(1) == "attribué"
    assert LotStatus.PUBLISHED.counted(2) == "publiés"
    assert LotStatus.DRAFT.counted(3) == "en préparation" and LotStatus.UNSUCCESSFUL.counted(2) == "infructueux"
