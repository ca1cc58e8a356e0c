"""Split of an invoice back to each commune, to the cent: worked tables, errors, properties."""

import csv
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groupement.core.errors import ServiceError
from groupement.core.money import line_amount, vat_amount
from groupement.invoices.allocation import AllocationError, AllocationKey, CommuneInfo, SplitLine, split_invoice
from groupement.invoices.apportionment import largest_remainder

D = Decimal
CENT = D("0.01")
CATALOG = Path(__file__).resolve().parents[2] / "catalogs" / "capi_communes.csv"
with CATALOG.open(encoding="utf-8") as handle:
    CAPI = tuple(
        CommuneInfo(row["code_insee"], row["nom"], int(row["population_municipale"])) for row in csv.DictReader(handle)
    )
BY_NAME = {info.name: info for info in CAPI}
BOURGOIN, VILLEFONTAINE, FOUR, CRACHIER = (
    BY_NAME[n] for n in ("Bourgoin-Jallieu", "Villefontaine", "Four", "Crachier")
)
RATES = (D("0"), D("5.5"), D("10"), D("20"))


def line(key, amount, rate="20", quantity="0", commune=None):
    return SplitLine(key, D(amount), D(rate), D(quantity), commune)


def ht_by_commune(split):
    return {share.insee: share.ht for share in split.communes}


# --- largest remainder: worked tables -------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        # 100,00 € over three equal communes: the extra cent to the smallest INSEE code.
        ("100.00", {"38553": 1, "38053": 1, "38172": 1}, {"38053": "33.34", "38172": "33.33", "38553": "33.33"}),
        # 0,01 € over three communes: the only cent to the smallest INSEE code.
        ("0.01", {"38553": 1, "38172": 1, "38053": 1}, {"38053": "0.01", "38172": "0.00", "38553": "0.00"}),
        # Larger remainder first, even against a larger weight: 0.75 and 2.25 cents.
        ("0.03", {"38001": 1, "38999": 3}, {"38001": "0.01", "38999": "0.02"}),
        # Equal remainders (0.5 and 1.5 cents): the larger weight wins, despite its INSEE code.
        ("0.02", {"38001": 1, "38999": 3}, {"38001": "0.00", "38999": "0.02"}),
        # Equal remainders and weights: INSEE code ascending, two extra cents.
        ("0.08", {"38999": 1, "38500": 1, "38001": 1}, {"38001": "0.03", "38500": "0.03", "38999": "0.02"}),
        # A credit note is split as its opposite, then negated.
        ("-100.00", {"38553": 1, "38053": 1, "38172": 1}, {"38053": "-33.34", "38172": "-33.33", "38553": "-33.33"}),
        # Zero weights get zero, even when cents are left to give.
        ("0.05", {"38001": 0, "38002": 1, "38003": 1}, {"38001": "0.00", "38002": "0.03", "38003": "0.02"}),
    ],
)
def test_largest_remainder_follows_the_worked_table(total, weights, expected):
    parts = largest_remainder(D(total), {k: D(w) for k, w in weights.items()})
    assert parts == {k: D(v) for k, v in expected.items()}
    assert sum(parts.values()) == D(total)


def test_a_shipping_charge_of_99_99_is_split_by_population_among_four_capi_communes():
    # Populations 29 816 / 19 018 / 1 672 / 590 (total 51 096): exact shares in cents are
    # 5834,707 / 3721,641 / 327,194 / 115,457: the two cents left go to Bourgoin-Jallieu and
    # Villefontaine (largest remainders), not to Crachier.
    weights = {info.insee: D(info.population) for info in (BOURGOIN, VILLEFONTAINE, FOUR, CRACHIER)}
    parts = largest_remainder(D("99.99"), weights)
    assert parts == {
        BOURGOIN.insee: D("58.35"),
        VILLEFONTAINE.insee: D("37.22"),
        FOUR.insee: D("3.27"),
        CRACHIER.insee: D("1.15"),
    }


def test_largest_remainder_splits_in_any_step_it_is_given():
    assert largest_remainder(D("10"), {"a": D(1), "b": D(2)}, step=D("1")) == {"a": D("3"), "b": D("7")}
    assert largest_remainder(D("0.10"), {"a": D(1), "b": D(1)}, step=D("0.05")) == {"a": D("0.05"), "b": D("0.05")}


@pytest.mark.parametrize(
    ("total", "weights", "message"),
    [
        ("10.00", {"38001": 0, "38002": 0}, "tous les poids de répartition sont nuls"),
        ("10.00", {"38001": 1, "38002": -1}, "le poids de répartition de 38002 est négatif"),
        ("10.00", {}, "aucune commune entre lesquelles répartir"),
        ("10.005", {"38001": 1}, "n'est pas un multiple de 0,01"),
    ],
)
def test_largest_remainder_refuses_what_it_cannot_split_in_french(total, weights, message):
    with pytest.raises(AllocationError, match=message):
        largest_remainder(D(total), {k: D(w) for k, w in weights.items()})


# --- invoices: worked tables ----------------------------------------------------------------


def test_five_lines_of_100_euros_at_20_percent_shared_equally_add_up_to_the_invoice():
    communes = (BOURGOIN, FOUR, VILLEFONTAINE)  # INSEE 38053 < 38172 < 38553
    lines = [line(f"L{i}", "100.00", quantity="1") for i in range(1, 6)]
    split = split_invoice(lines, communes, AllocationKey.EQUAL)

    assert split.total_ht == D("500.00")
    assert split.vat == {D("20"): D("100.00")}
    assert split.total_ttc == D("600.00")
    rows = [(s.insee, s.ht, s.vat[D("20")], s.ttc) for s in split.communes]
    assert rows == [
        ("38053", D("166.70"), D("33.34"), D("200.04")),
        ("38172", D("166.65"), D("33.33"), D("199.98")),
        ("38553", D("166.65"), D("33.33"), D("199.98")),
    ]
    assert split.commune("38053").lines == {f"L{i}": D("33.34") for i in range(1, 6)}


def test_the_invoice_vat_is_rounded_once_per_rate_and_the_communes_share_that_figure():
    # Three lines of 0,03 € at 20 %: 0,006 € of VAT each. Rounded per line it would be 0,03 €;
    # rounded once on the rate's base (BR-S-09), it is 0,09 × 20 % = 0,018 -> 0,02 €.
    communes = (BOURGOIN, FOUR, VILLEFONTAINE)
    lines = [line(f"L{i}", "0.03", commune=c.insee) for i, c in enumerate(communes)]
    split = split_invoice(lines, communes, AllocationKey.AMOUNT)

    assert split.vat == {D("20"): D("0.02")}
    assert [s.vat[D("20")] for s in split.communes] == [D("0.01"), D("0.01"), D("0.00")]
    assert [s.ttc for s in split.communes] == [D("0.04"), D("0.04"), D("0.03")]
    assert split.total_ttc == D("0.11")


@pytest.mark.parametrize(
    ("base", "rate", "vat"),
    [
        ("0.09", "20", "0.02"),
        ("-0.09", "20", "-0.02"),
        ("0.10", "5.5", "0.01"),
        ("-0.10", "5.5", "-0.01"),
        ("0.02", "20", "0.00"),
    ],
)
def test_the_vat_of_a_rate_is_rounded_once_half_away_from_zero(base, rate, vat):
    assert vat_amount(D(base), D(rate)) == D(vat)
    assert str(vat_amount(D(base), D(rate))) == vat


def test_a_shipping_charge_split_by_population_carries_its_vat_to_the_four_capi_communes():
    communes = (BOURGOIN, VILLEFONTAINE, FOUR, CRACHIER)
    split = split_invoice([line("charge-1", "99.99")], communes, AllocationKey.POPULATION)

    # 99,99 × 20 % = 19,998 -> 20,00 €, split by the bases 58,35 / 37,22 / 3,27 / 1,15.
    assert split.vat == {D("20"): D("20.00")}
    rows = {s.name: (s.ht, s.vat[D("20")], s.ttc) for s in split.communes}
    assert rows == {
        "Bourgoin-Jallieu": (D("58.35"), D("11.67"), D("70.02")),
        "Villefontaine": (D("37.22"), D("7.45"), D("44.67")),
        "Four": (D("3.27"), D("0.65"), D("3.92")),
        "Crachier": (D("1.15"), D("0.23"), D("1.38")),
    }
    assert split.total_ttc == D("119.99")


def test_tied_lines_go_wholly_to_their_commune_and_shipping_follows_their_amounts():
    lines = [
        line("1", "1200.00", quantity="2", commune=BOURGOIN.insee),
        line("2", "300.00", rate="5.5", quantity="10", commune=FOUR.insee),
        line("charge-1", "30.00"),
        line("allowance-1", "-15.00"),
    ]
    split = split_invoice(lines, (BOURGOIN, FOUR), AllocationKey.AMOUNT)

    assert split.commune(BOURGOIN.insee).lines == {
        "1": D("1200.00"),
        "charge-1": D("24.00"),
        "allowance-1": D("-12.00"),
    }
    assert split.commune(FOUR.insee).lines == {"2": D("300.00"), "charge-1": D("6.00"), "allowance-1": D("-3.00")}
    assert ht_by_commune(split) == {BOURGOIN.insee: D("1212.00"), FOUR.insee: D("303.00")}
    # Rate 20 %: base 1 215,00 -> 243,00; rate 5,5 %: base 300,00 -> 16,50. Four has no 20 % base
    # of its own but shares the charges at 20 %.
    assert split.vat == {D("5.5"): D("16.50"), D("20"): D("243.00")}
    assert split.commune(BOURGOIN.insee).vat == {D("5.5"): D("0.00"), D("20"): D("242.40")}
    assert split.commune(FOUR.insee).vat == {D("5.5"): D("16.50"), D("20"): D("0.60")}
    assert split.total_ttc == D("1774.50")


def test_the_quantity_key_follows_the_quantities_of_the_tied_lines():
    lines = [
        line("1", "10.00", quantity="3", commune=BOURGOIN.insee),
        line("2", "900.00", quantity="1", commune=FOUR.insee),
        line("charge-1", "40.00"),
    ]
    split = split_invoice(lines, (BOURGOIN, FOUR), AllocationKey.QUANTITY)
    assert split.commune(BOURGOIN.insee).lines["charge-1"] == D("30.00")
    assert split.commune(FOUR.insee).lines["charge-1"] == D("10.00")


def test_manual_percentages_and_a_per_line_key_override_split_the_shared_lines():
    lines = [line("bulk", "1000.00", quantity="100"), line("charge-1", "10.00")]
    split = split_invoice(
        lines,
        (BOURGOIN, VILLEFONTAINE, FOUR),
        AllocationKey.MANUAL,
        manual_percents={BOURGOIN.insee: D("62.5"), VILLEFONTAINE.insee: D("37.5")},
        line_keys={"charge-1": AllocationKey.EQUAL},
    )
    assert split.key is AllocationKey.MANUAL
    assert split.commune(BOURGOIN.insee).lines == {"bulk": D("625.00"), "charge-1": D("3.34")}
    assert split.commune(VILLEFONTAINE.insee).lines == {"bulk": D("375.00"), "charge-1": D("3.33")}
    assert split.commune(FOUR.insee).lines == {"bulk": D("0.00"), "charge-1": D("3.33")}


def test_only_the_communes_sharing_the_invoice_share_the_untied_lines():
    lines = [line("1", "50.00", commune=CRACHIER.insee), line("charge-1", "9.00")]
    split = split_invoice(
        lines, (BOURGOIN, FOUR, CRACHIER), AllocationKey.EQUAL, shared_among=[FOUR.insee, BOURGOIN.insee]
    )
    assert ht_by_commune(split) == {BOURGOIN.insee: D("4.50"), FOUR.insee: D("4.50"), CRACHIER.insee: D("50.00")}
    assert "charge-1" not in split.commune(CRACHIER.insee).lines


def test_a_credit_note_mirrors_the_invoice_to_the_cent():
    communes = (BOURGOIN, VILLEFONTAINE, FOUR, CRACHIER)
    invoice = [
        line("1", "333.33", commune=BOURGOIN.insee),
        line("2", "0.05", rate="5.5", commune=FOUR.insee),
        line("3", "12.34", rate="5.5", commune=CRACHIER.insee),
        line("charge-1", "99.99"),
    ]
    credit = [SplitLine(x.key, -x.net_amount, x.vat_rate, x.quantity, x.commune) for x in invoice]
    for key in AllocationKey:
        percents = {c.insee: D(25) for c in communes} if key is AllocationKey.MANUAL else None
        if key is AllocationKey.QUANTITY:
            continue  # no quantities on these lines
        plus = split_invoice(invoice, communes, key, manual_percents=percents)
        minus = split_invoice(credit, communes, key, manual_percents=percents)
        assert minus.total_ttc == -plus.total_ttc
        for a, b in zip(plus.communes, minus.communes, strict=True):
            assert (b.ht, b.ttc) == (-a.ht, -a.ttc)
            assert b.vat == {rate: -vat for rate, vat in a.vat.items()}
            assert b.lines == {k: -v for k, v in a.lines.items()}


def test_opposite_bases_within_a_rate_get_their_own_vat_not_a_blown_up_proportion():
    # +100,00 for Bourgoin, a credit line of −99,97 for Four: base 0,03, VAT 0,006 -> 0,01.
    # Proportionally to the signed bases Bourgoin would carry 33,33 € of VAT; each commune
    # gets instead its own VAT (20,00 and −19,994) and the missing cent goes to Four.
    lines = [line("1", "100.00", commune=BOURGOIN.insee), line("2", "-99.97", commune=FOUR.insee)]
    split = split_invoice(lines, (BOURGOIN, FOUR), AllocationKey.EQUAL)
    assert split.vat == {D("20"): D("0.01")}
    assert split.commune(BOURGOIN.insee).vat == {D("20"): D("20.00")}
    assert split.commune(FOUR.insee).vat == {D("20"): D("-19.99")}
    assert [s.ttc for s in split.communes] == [D("120.00"), D("-119.96")]
    assert split.total_ttc == D("0.04")


def test_a_shared_allowance_larger_than_a_communes_lines_gives_it_a_negative_vat():
    lines = [line("1", "100.00", commune=BOURGOIN.insee), line("allowance-1", "-150.00")]
    split = split_invoice(lines, (BOURGOIN, FOUR), AllocationKey.EQUAL)
    assert ht_by_commune(split) == {BOURGOIN.insee: D("25.00"), FOUR.insee: D("-75.00")}
    assert split.vat == {D("20"): D("-10.00")}
    assert [s.vat[D("20")] for s in split.communes] == [D("5.00"), D("-15.00")]


def test_a_rate_with_no_vat_gives_every_commune_zero_vat():
    split = split_invoice([line("1", "10.00", rate="0"), line("2", "0.00", rate="0")], (FOUR, CRACHIER), "equal")
    assert [s.vat for s in split.communes] == [{D("0"): D("0.00")}, {D("0"): D("0.00")}]
    assert split.key is AllocationKey.EQUAL


def test_allocation_keys_have_french_labels():
    assert [k.label for k in AllocationKey] == [
        "au prorata du montant HT",
        "au prorata des quantités",
        "au prorata de la population",
        "à parts égales",
        "pourcentages saisis",
    ]


# --- invoices: errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key": AllocationKey.AMOUNT}, "au prorata du montant HT impossible : aucun montant HT n'est rattaché"),
        ({"key": AllocationKey.QUANTITY}, "au prorata des quantités impossible : aucune quantité n'est rattachée"),
        (
            {"key": AllocationKey.MANUAL, "manual_percents": {"38053": D("60"), "38172": D("39.5")}},
            "les pourcentages saisis totalisent 99,5\u00a0% au lieu de 100\u00a0%",
        ),
        ({"key": AllocationKey.MANUAL}, "saisissez les pourcentages des communes"),
        (
            {"key": AllocationKey.MANUAL, "manual_percents": {"38053": D("100"), "38136": D("0")}},
            "pourcentage saisi pour une commune qui ne partage pas la facture : 38136",
        ),
        ({"key": AllocationKey.EQUAL, "shared_among": ["38053", "99999"]}, "commune inconnue .*: 99999"),
        ({"key": AllocationKey.EQUAL, "shared_among": []}, "aucune commune n'a été choisie pour les partager"),
        ({"key": AllocationKey.EQUAL, "line_keys": {"L9": AllocationKey.EQUAL}}, "ligne absente de la facture : L9"),
    ],
)
def test_an_invoice_that_cannot_be_split_is_refused_in_french(kwargs, message):
    communes = (BOURGOIN, FOUR)
    with pytest.raises(AllocationError, match=message):
        split_invoice([line("charge-1", "10.00")], communes, **kwargs)


def test_population_zero_everywhere_is_refused_in_french():
    communes = (CommuneInfo("38001", "Nouvelle", 0), CommuneInfo("38002", "Autre", 0))
    with pytest.raises(AllocationError, match="au prorata de la population impossible"):
        split_invoice([line("charge-1", "10.00")], communes, AllocationKey.POPULATION)


def test_tied_amounts_of_opposite_signs_cannot_be_a_key():
    lines = [line("1", "100.00", commune=BOURGOIN.insee), line("2", "-20.00", commune=FOUR.insee), line("c", "5.00")]
    with pytest.raises(AllocationError, match="montants HT rattachés aux communes sont de signes contraires"):
        split_invoice(lines, (BOURGOIN, FOUR), AllocationKey.AMOUNT)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([line("1", "10.00", commune="99999")], "ligne 1 : commune 99999 inconnue"),
        ([line("1", "10.001")], "ligne 1 : le montant 10,001 a plus de deux décimales"),
        ([line("1", "10.00"), line("1", "5.00")], "la ligne 1 apparaît deux fois"),
        ([line("1", "10.00", rate="-20")], "taux de TVA négatif"),
    ],
)
def test_inconsistent_lines_are_refused_in_french(lines, message):
    with pytest.raises(AllocationError, match=message):
        split_invoice(lines, (BOURGOIN, FOUR), AllocationKey.EQUAL)


def test_a_refused_split_is_a_service_error_that_the_user_reads_as_it_is():
    assert issubclass(AllocationError, ServiceError)
    assert not issubclass(AllocationError, ValueError)
    with pytest.raises(ServiceError, match="tous les poids de répartition sont nuls"):
        largest_remainder(D("1.00"), {"38001": D(0)})


def test_a_key_whose_weights_are_zero_is_not_refused_when_every_line_is_tied():
    split = split_invoice([line("1", "10.00", commune=FOUR.insee)], (BOURGOIN, FOUR), AllocationKey.AMOUNT)
    assert ht_by_commune(split) == {BOURGOIN.insee: D("0.00"), FOUR.insee: D("10.00")}


# --- properties -----------------------------------------------------------------------------


def is_cents(value: Decimal) -> bool:
    return value == value.quantize(CENT)


@settings(max_examples=300, deadline=None)
@given(
    units=st.integers(-(10**9), 10**9),
    step=st.sampled_from([D("0.01"), D("1"), D("0.05"), D("0.001")]),
    weights=st.dictionaries(
        st.from_regex(r"38[0-9]{3}", fullmatch=True),
        st.one_of(st.just(D(0)), st.integers(0, 10**6).map(D), st.decimals(0, 1000, places=3)),
        min_size=1,
        max_size=22,
    ).filter(lambda w: any(w.values())),
)
def test_largest_remainder_parts_add_up_exactly_and_stay_within_one_step_of_the_exact_share(units, step, weights):
    total = units * step
    parts = largest_remainder(total, weights, step)
    assert sum(parts.values()) == total
    total_weight = sum(weights.values())
    for insee, part in parts.items():
        assert part % step == 0
        assert abs(part - total * weights[insee] / total_weight) < step
        if weights[insee] == 0:
            assert part == 0
    assert largest_remainder(-total, weights, step) == {k: -v for k, v in parts.items()}
    assert largest_remainder(total, dict(reversed(list(weights.items()))), step) == parts


@st.composite
def invoices(draw):
    communes = draw(st.permutations(CAPI))[: draw(st.one_of(st.integers(1, 4), st.integers(1, 22)))]
    zero_population = draw(st.sets(st.sampled_from([c.insee for c in communes])))
    communes = [CommuneInfo(c.insee, c.name, 0 if c.insee in zero_population else c.population) for c in communes]
    insees = [c.insee for c in communes]
    tied = st.one_of(st.sampled_from(insees), st.none())
    rarely_tied = st.one_of(st.none(), st.none(), st.none(), st.sampled_from(insees))
    rate = st.sampled_from(RATES)
    entry = st.one_of(
        # ordinary lines, tied or shared; zero quantities and amounts included
        st.tuples(st.just("line"), st.integers(0, 2_000_000), rate, st.integers(0, 50), tied),
        st.tuples(st.just("line"), st.integers(0, 20_000), rate, st.integers(0, 5), tied),
        # line-level allowance (a negative line), rarely tied
        st.tuples(st.just("line"), st.integers(-50_000, -1), rate, st.integers(0, 3), rarely_tied),
        st.tuples(st.just("charge"), st.integers(0, 20_000), rate, st.just(0), st.none()),
        st.tuples(st.just("allowance"), st.integers(-20_000, 0), rate, st.just(0), st.none()),
    )
    # Small invoices shrink well; large ones (up to 500 lines) are drawn as often.
    size = draw(st.one_of(st.integers(1, 12), st.integers(1, 500)))
    entries = draw(st.lists(entry, min_size=size, max_size=size))
    credit_note = draw(st.booleans())
    sign = -1 if credit_note else 1
    lines = [
        SplitLine(
            key=f"{kind}-{index}" if kind != "line" else str(index),
            net_amount=sign * cents * CENT,
            vat_rate=vat_rate,
            quantity=D(quantity),
            commune=commune,
        )
        for index, (kind, cents, vat_rate, quantity, commune) in enumerate(entries, start=1)
    ]
    key = draw(st.sampled_from(list(AllocationKey)))
    shared_among = draw(st.one_of(st.none(), st.lists(st.sampled_from(insees), min_size=1, unique=True)))
    sharing = sorted(shared_among if shared_among is not None else insees)
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=len(sharing) - 1, max_size=len(sharing) - 1)))
    hundredths = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=True)]
    manual = {insee: h * CENT for insee, h in zip(sharing, hundredths, strict=True)}
    shared_keys = [x.key for x in lines if x.commune is None]
    overridden = draw(st.lists(st.sampled_from(shared_keys), unique=True)) if shared_keys else []
    line_keys = {k: draw(st.sampled_from(list(AllocationKey))) for k in overridden}
    return {
        "lines": lines,
        "communes": communes,
        "key": key,
        "shared_among": shared_among,
        "manual_percents": manual,
        "line_keys": line_keys,
    }


def expected_weights(invoice, key):
    """The weights of the sharing communes as the rules state them; None when refused."""
    communes = {c.insee: c for c in invoice["communes"]}
    sharing = sorted(invoice["shared_among"] if invoice["shared_among"] is not None else communes)
    if key is AllocationKey.EQUAL:
        return {i: D(1) for i in sharing}
    if key is AllocationKey.MANUAL:
        return {i: invoice["manual_percents"][i] for i in sharing}
    if key is AllocationKey.POPULATION:
        weights = {i: D(communes[i].population) for i in sharing}
    else:
        field = "net_amount" if key is AllocationKey.AMOUNT else "quantity"
        weights = {i: sum(getattr(x, field) for x in invoice["lines"] if x.commune == i) for i in sharing}
        if any(w > 0 for w in weights.values()) and any(w < 0 for w in weights.values()):
            return None
        weights = {i: abs(w) for i, w in weights.items()}
    return weights if any(weights.values()) else None


@pytest.mark.parametrize(
    ("quantity", "unit_price", "line", "base", "rate", "vat"),
    [
        ("1", "0.005", "0.01", "0.025", "20", "0.01"),  # 0,005 -> 0,01
        ("1", "2.675", "2.68", "13.375", "20", "2.68"),  # 2,675 -> 2,68 (not 2,67 as in binary floats)
        ("-1", "2.675", "-2.68", "-13.375", "20", "-2.68"),  # half away from zero: a credit note mirrors
        ("5", "100.00", "500.00", "500.00", "20", "100.00"),  # 5 × 100,00 at 20 % -> 100,00
    ],
)
def test_line_amounts_and_vat_round_half_up_at_the_cent(quantity, unit_price, line, base, rate, vat):
    assert str(line_amount(D(quantity), D(unit_price))) == line
    assert str(vat_amount(D(base), D(rate))) == vat


def half_up_reference(exact: Fraction) -> Decimal:
    """Half away from zero to the cent, computed with exact fractions (no Decimal rounding)."""
    cents = math.floor(abs(exact) * 100 + Fraction(1, 2))
    return D(cents if exact >= 0 else -cents) / 100


@settings(max_examples=300, deadline=None)
@given(
    cents=st.integers(min_value=-(10**9), max_value=10**9),
    rate=st.sampled_from(RATES),
    quantity=st.integers(min_value=-(10**4), max_value=10**4),
    price=st.integers(min_value=0, max_value=10**8),
)
def test_vat_and_line_amounts_are_the_exact_figure_rounded_half_up_at_the_cent(cents, rate, quantity, price):
    base = D(cents) / 100
    unit_price = D(price) / 10_000  # four decimals, as unit prices may have
    assert vat_amount(base, rate) == half_up_reference(Fraction(base) * Fraction(rate) / 100)
    assert line_amount(quantity, unit_price) == half_up_reference(quantity * Fraction(unit_price))
    assert is_cents(vat_amount(base, rate)) and is_cents(line_amount(quantity, unit_price))


def br_s_09(lines, rate):
    base = sum((x.net_amount for x in lines if x.vat_rate == rate), D(0))
    return (base * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(invoice=invoices())
def test_every_random_invoice_splits_exactly_to_the_cent(invoice):
    lines = invoice["lines"]
    key_of = {x.key: invoice["line_keys"].get(x.key, invoice["key"]) for x in lines if x.commune is None}
    weights = {k: expected_weights(invoice, k) for k in set(key_of.values())}
    if any(w is None for w in weights.values()):
        with pytest.raises(AllocationError, match="Choisissez une autre clé de répartition"):
            split_invoice(**invoice)
        return
    split = split_invoice(**invoice)
    rates = sorted({x.vat_rate for x in lines})
    rate_of = {x.key: x.vat_rate for x in lines}

    # Totals of the invoice: EN 16931 arithmetic, VAT rounded once per rate.
    assert split.total_ht == sum(x.net_amount for x in lines)
    assert split.vat == {rate: br_s_09(lines, rate) for rate in rates}
    assert split.total_vat == sum(split.vat.values())
    assert split.total_ttc == split.total_ht + split.total_vat

    # The communes add up exactly: HT, each rate's VAT, TTC.
    assert [s.insee for s in split.communes] == sorted(c.insee for c in invoice["communes"])
    assert sum(s.ht for s in split.communes) == split.total_ht
    for rate in rates:
        assert sum(s.vat[rate] for s in split.communes) == split.vat[rate]
    assert sum(s.ttc for s in split.communes) == split.total_ttc
    for share in split.communes:
        assert share.ttc == share.ht + sum(share.vat.values())
        assert share.ht == sum(share.lines.values(), D(0))
        amounts = [share.ht, share.ttc, *share.vat.values(), *share.lines.values()]
        assert all(is_cents(amount) for amount in amounts)
        for rate in rates:
            base = sum((v for k, v in share.lines.items() if rate_of[k] == rate), D(0))
            # Within a cent and a half of its own exact VAT (less than a cent with mixed signs).
            assert abs(share.vat[rate] - base * rate / 100) < D("0.015")
            if base == 0:
                assert share.vat[rate] == 0

    # Each line's parts add up to the line; tied lines go to their commune only; shared lines
    # follow their key's weights (within a cent of the exact share, zero weights get zero).
    for x in lines:
        parts = {s.insee: s.lines[x.key] for s in split.communes if x.key in s.lines}
        assert sum(parts.values()) == x.net_amount
        if x.commune is not None:
            assert parts == {x.commune: x.net_amount}
            continue
        line_weights = weights[key_of[x.key]]
        assert set(parts) == set(line_weights)
        total_weight = sum(line_weights.values())
        for insee, part in parts.items():
            assert abs(part - x.net_amount * line_weights[insee] / total_weight) < CENT
            if line_weights[insee] == 0:
                assert part == 0


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(invoice=invoices(), randomness=st.randoms(use_true_random=False))
def test_the_split_is_deterministic_whatever_the_order_of_its_input(invoice, randomness):
    try:
        first = split_invoice(**invoice)
    except AllocationError as refused:
        with pytest.raises(AllocationError, match=re.escape(str(refused))):
            split_invoice(**invoice)
        return
    assert split_invoice(**invoice) == first
    shuffled = dict(invoice)
    for name in ("lines", "communes"):
        shuffled[name] = randomness.sample(invoice[name], len(invoice[name]))
    if invoice["shared_among"] is not None:
        shuffled["shared_among"] = randomness.sample(invoice["shared_among"], len(invoice["shared_among"]))
    shuffled["manual_percents"] = dict(
        randomness.sample(list(invoice["manual_percents"].items()), len(invoice["manual_percents"]))
    )
    assert split_invoice(**shuffled) == first
