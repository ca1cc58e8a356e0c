"""The pure rules of recovery titles: numbers, due dates, cancellation, payments, ledger states."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from groupement.invoices.title_rules import (
    ShareState,
    TitleKind,
    TitleRefused,
    TitleStatus,
    check_cancellation,
    check_due_date,
    check_payment,
    sequence_of,
    share_state,
    title_number,
)

TODAY = date(2026, 12, 2)


def test_a_title_number_reads_back_its_sequence_for_its_year_only():
    assert title_number(2026, 42) == "TR-2026-00042"
    assert sequence_of("TR-2026-00042", 2026) == 42
    assert sequence_of("TR-2025-00042", 2026) is None
    assert sequence_of("TR-2026-ABC", 2026) is None


def test_a_due_date_is_today_at_the_earliest_and_never_before_the_invoice():
    assert check_due_date(TODAY, TODAY, date(2026, 6, 17)) == TODAY
    with pytest.raises(TitleRefused, match=r"\(01/12/2026\) est passée : choisissez le 02/12/2026 ou après"):
        check_due_date(date(2026, 12, 1), TODAY, date(2026, 6, 17))
    with pytest.raises(TitleRefused, match=r"\(10/12/2026\) précède la date de la facture \(20/12/2026\)"):
        check_due_date(date(2026, 12, 10), TODAY, date(2026, 12, 20))


def test_a_cancellation_needs_a_reason_and_an_unpaid_standing_title():
    assert check_cancellation(TitleKind.TITLE, TitleStatus.ISSUED, Decimal(0), "  mauvaise   clé ", "T") == (
        "mauvaise clé"
    )
    refusals = [
        ((TitleKind.TITLE, TitleStatus.ISSUED, Decimal(0), " "), "motif"),
        ((TitleKind.TITLE, TitleStatus.ISSUED, Decimal("0.01"), "x"), "encaissements"),
        ((TitleKind.TITLE, TitleStatus.CANCELLED, Decimal(0), "x"), "déjà annulé"),
        ((TitleKind.CANCELLATION, TitleStatus.ISSUED, Decimal(0), "x"), "titre d'annulation"),
        ((TitleKind.TITLE, TitleStatus.ISSUED, Decimal(0), "x" * 501), "500 au plus"),
    ]
    for (kind, status, paid, reason), message in refusals:
        with pytest.raises(TitleRefused, match=message):
            check_cancellation(kind, status, paid, reason, "T")


def test_a_payment_has_the_sign_of_its_title_and_is_not_zero():
    check_payment(TitleKind.TITLE, TitleStatus.ISSUED, Decimal("-1.00"), Decimal("-12.50"), "T")
    for amount, title in ((Decimal(0), Decimal("10")), (Decimal("1"), Decimal("-10")), (Decimal("-1"), Decimal("10"))):
        with pytest.raises(TitleRefused):
            check_payment(TitleKind.TITLE, TitleStatus.ISSUED, amount, title, "T")


def test_a_share_is_to_title_then_due_then_settled_or_cancelled():
    assert share_state(False, False, Decimal(0), Decimal(0)) is ShareState.TO_TITLE
    assert share_state(True, False, Decimal("10"), Decimal("4")) is ShareState.OUTSTANDING
    assert share_state(True, False, Decimal("10"), Decimal("10")) is ShareState.SETTLED
    assert share_state(True, True, Decimal(0), Decimal(0)) is ShareState.CANCELLED
    assert [s.label for s in ShareState] == ["à titrer", "reste dû", "soldé", "annulé"]
