"""The rules of purchase orders: numbering, amounts, the contract's maximum, needs, deliveries."""

from datetime import date
from decimal import Decimal

import pytest

from groupement.contracts.order_rules import (
    ConsumptionLevel,
    DeliveryRefused,
    DeliveryStatus,
    ExecutionPeriod,
    NeedsUse,
    OrderRefused,
    check_consumption,
    check_delivery,
    check_order_date,
    consumption_level,
    consumption_ratio,
    contract_end,
    delivery_status,
    line_amount,
    needs_overruns,
    order_delivery_status,
    order_number,
    parse_order_quantity,
    vat_breakdown,
)

ORDERED_ON = date(2027, 3, 10)
TODAY = date(2027, 3, 20)


# --- numbering -------------------------------------------------------------------------------------


def test_an_order_number_names_the_commune_the_year_and_a_four_digit_sequence():
    assert order_number("38053", 2027, 1) == "BC-38053-2027-0001"
    assert order_number("38053", 2027, 123) == "BC-38053-2027-0123"
    assert order_number("38053", 2028, 10000) == "BC-38053-2028-10000"


@pytest.mark.parametrize(("insee", "sequence"), [("", 1), ("38053", 0)])
def test_an_order_number_needs_an_insee_code_and_a_sequence_from_one(insee, sequence):
    with pytest.raises(OrderRefused):
        order_number(insee, 2027, sequence)


# --- quantities and amounts ------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "quantity"), [("1", 1), (" 1 200 ", 1200), (7, 7), ("1000000", 1_000_000)])
def test_an_order_quantity_is_a_whole_number_from_one_to_a_million(raw, quantity):
    assert parse_order_quantity(raw) == quantity


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("0", "au moins 1"),
        ("", "au moins 1"),
        ("-2", "négative"),
        ("2,5", "n'est pas un nombre entier"),
        ("1000001", "invraisemblable"),
        ("dix", "n'est pas un nombre entier"),
    ],
)
def test_an_order_quantity_is_refused_in_french_otherwise(raw, message):
    with pytest.raises(OrderRefused, match=message):
        parse_order_quantity(raw)


def test_a_line_amount_is_quantity_times_price_and_eco_participation_rounded_once_to_the_cent():
    assert line_amount(3, Decimal("764.10"), Decimal("1.00")) == Decimal("2295.30")
    # 7 × 0,4155 = 2,9085 -> 2,91 (rounded once on the line, half up)
    assert line_amount(7, Decimal("0.4155"), Decimal("0")) == Decimal("2.91")
    assert line_amount(1, Decimal("0.005"), Decimal("0")) == Decimal("0.01")


def test_vat_is_computed_once_per_rate_on_the_sum_of_the_lines():
    rows = vat_breakdown(
        [(Decimal("0.05"), Decimal("20.00")), (Decimal("0.05"), Decimal("20")), (Decimal("10.00"), Decimal("5.5"))]
    )
    assert [(row.rate, row.base_ht, row.vat) for row in rows] == [
        (Decimal("5.50"), Decimal("10.00"), Decimal("0.55")),
        (Decimal("20.00"), Decimal("0.10"), Decimal("0.02")),
    ]


# --- the contract's maximum ------------------------------------------------------------------------


def test_the_consumption_ratio_is_a_fraction_of_the_maximum():
    assert consumption_ratio(Decimal("8000"), Decimal("10000")) == Decimal("0.8000")
    assert consumption_ratio(Decimal("1"), Decimal("3")) == Decimal("0.3333")
    with pytest.raises(OrderRefused):
        consumption_ratio(Decimal("1"), Decimal("0"))


@pytest.mark.parametrize(
    ("already", "amount", "level"),
    [
        ("0", "7999.99", ConsumptionLevel.OK),
        ("7000", "1000", ConsumptionLevel.WARNING),  # exactly 80 %
        ("9000", "1000", ConsumptionLevel.WARNING),  # exactly 100 % is allowed
        ("9000", "1000.01", ConsumptionLevel.REFUSED),
        ("10000", "0.01", ConsumptionLevel.REFUSED),
    ],
)
def test_an_order_warns_from_80_percent_and_is_refused_beyond_the_maximum(already, amount, level):
    check = check_consumption(Decimal("10000"), Decimal(already), Decimal(amount))
    assert check.level is level
    assert check.warning is (level is ConsumptionLevel.WARNING)
    assert check.refused is (level is ConsumptionLevel.REFUSED)


def test_a_refused_order_knows_what_could_still_be_ordered():
    check = check_consumption(Decimal("10000"), Decimal("9500.50"), Decimal("600"))
    assert check.refused
    assert check.remaining == Decimal("499.50")
    assert check.new_total == Decimal("10100.50")
    assert check_consumption(Decimal("100"), Decimal("120"), Decimal("1")).remaining == Decimal("0")


def test_the_level_of_a_contract_follows_the_same_thresholds():
    assert consumption_level(Decimal("79.99"), Decimal("100")) is ConsumptionLevel.OK
    assert consumption_level(Decimal("80"), Decimal("100")) is ConsumptionLevel.WARNING
    assert consumption_level(Decimal("100.01"), Decimal("100")) is ConsumptionLevel.REFUSED


# --- a commune's needs (warnings only) -------------------------------------------------------------


def test_ordering_beyond_the_validated_needs_is_a_warning_naming_the_line():
    warnings = needs_overruns(
        [
            NeedsUse("INF-1 Ordinateur", needed=4, already_ordered=3, ordering=2),
            NeedsUse("INF-2 Écran", needed=6, already_ordered=0, ordering=6),
            NeedsUse("INF-3 Souris", needed=0, ordering=1),
        ]
    )
    assert warnings == [
        "INF-1 Ordinateur : 5 commandés au total (besoin validé : 4, dépassement de 1).",
        "INF-3 Souris : 1 commandé au total (aucun besoin validé, dépassement de 1).",
    ]


def test_a_line_not_ordered_now_does_not_repeat_an_earlier_overrun():
    assert needs_overruns([NeedsUse("INF-1", needed=1, already_ordered=5, ordering=0)]) == []
    assert NeedsUse("INF-1", needed=1, already_ordered=5).remaining == 0
    assert NeedsUse("INF-1", needed=4, already_ordered=1).remaining == 3


# --- deliveries --------------------------------------------------------------------------------------


def test_a_partial_delivery_within_the_quantity_ordered_is_accepted():
    check_delivery(10, 0, 4, TODAY, ORDERED_ON, TODAY)
    check_delivery(10, 4, 6, ORDERED_ON, ORDERED_ON, TODAY)  # the order's day itself


@pytest.mark.parametrize(
    ("already", "quantity", "delivered_on", "message"),
    [
        (8, 3, TODAY, "Livraison supérieure à la commande : 3 reçus alors qu'il reste 2 à livrer sur 10 commandés."),
        (10, 1, TODAY, "déjà entièrement livrée"),
        (0, 0, TODAY, "au moins 1"),
        (0, -1, TODAY, "au moins 1"),
        (0, 1, date(2027, 3, 21), "dans le futur"),
        (0, 1, date(2027, 3, 9), "précéder la date du bon de commande (10/03/2027)"),
    ],
)
def test_a_delivery_is_refused_beyond_the_order_in_the_future_or_before_the_order(
    already, quantity, delivered_on, message
):
    with pytest.raises(DeliveryRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_delivery(10, already, quantity, delivered_on, ORDERED_ON, TODAY)


def test_delivery_status_of_a_line_and_of_an_order():
    assert delivery_status(5, 0) is DeliveryStatus.WAITING
    assert delivery_status(5, 2) is DeliveryStatus.PARTIAL
    assert delivery_status(5, 5) is DeliveryStatus.DELIVERED
    assert order_delivery_status([(5, 0), (3, 0)]) is DeliveryStatus.WAITING
    assert order_delivery_status([(5, 5), (3, 0)]) is DeliveryStatus.PARTIAL
    assert order_delivery_status([(5, 5), (3, 3)]) is DeliveryStatus.DELIVERED
    assert DeliveryStatus.PARTIAL.label == "Livraison partielle"


# --- execution period ----------------------------------------------------------------------------------

# The lot of the issue: notified on 15/12/2026, executed from 01/01/2027, for 48 months.
PERIOD = ExecutionPeriod.of("2027-12-L01", date(2026, 12, 15), date(2027, 1, 1), 48)


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2027, 1, 1), 12, date(2027, 12, 31)),
        (date(2027, 1, 1), 48, date(2030, 12, 31)),
        (date(2027, 3, 15), 1, date(2027, 4, 14)),
        (date(2027, 1, 31), 1, date(2027, 2, 28)),  # no 31/02: the last day of February
        (date(2027, 11, 30), 3, date(2028, 2, 29)),  # leap year, no 30/02
        (date(2027, 12, 1), 1, date(2027, 12, 31)),
    ],
)
def test_a_contract_ends_the_day_before_the_same_day_its_duration_later(start, months, end):
    assert contract_end(start, months) == end


def test_an_order_before_notification_is_refused_naming_the_dates():
    with pytest.raises(OrderRefused) as refused:
        check_order_date(PERIOD, date(2026, 12, 2))
    message = str(refused.value)
    assert "n'est notifié que le 15/12/2026" in message
    assert "du 01/01/2027 au 31/12/2030" in message


def test_an_order_before_execution_start_is_refused_even_once_notified():
    with pytest.raises(OrderRefused, match=r"ne commence que le 01/01/2027"):
        check_order_date(PERIOD, date(2026, 12, 20))


def test_an_order_after_contract_end_is_refused():
    with pytest.raises(OrderRefused, match=r"a pris fin le 31/12/2030"):
        check_order_date(PERIOD, date(2031, 1, 1))


def test_an_order_on_the_first_and_the_last_day_of_execution_is_allowed():
    check_order_date(PERIOD, date(2027, 1, 1))
    check_order_date(PERIOD, date(2030, 12, 31))
    assert PERIOD.open_on(date(2028, 6, 1))
    assert PERIOD.first_order_day == date(2027, 1, 1)


def test_a_contract_executed_before_its_notification_is_ordered_from_its_notification():
    late = ExecutionPeriod.of("X", date(2027, 1, 10), date(2027, 1, 1), 12)
    assert not late.open_on(date(2027, 1, 5))
    assert late.first_order_day == date(2027, 1, 10)
