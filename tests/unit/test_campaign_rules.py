from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from groupement.campaigns.rules import (
    CampaignStatus,
    EntryWindow,
    InvalidQuantity,
    NeedValue,
    SubmissionStatus,
    TransitionRefused,
    check_campaign_transition,
    check_reopen,
    check_send_back,
    check_submit,
    check_validate,
    diff_needs,
    effective_status,
    estimated_amount,
    estimated_line_amount,
    parse_quantity,
)
from groupement.core.access import Role

OPENS = datetime(2026, 11, 1, 8, 0)
CLOSES = datetime(2027, 1, 15, 11, 0)
DURING = datetime(2026, 12, 1)
AFTER = CLOSES + timedelta(seconds=1)


def window(submission=SubmissionStatus.DRAFT, now=DURING, status=CampaignStatus.OPEN, reopened=False):
    return EntryWindow(status, OPENS, CLOSES, submission, reopened, now)


def test_an_open_campaign_is_closed_from_its_deadline_on():
    assert effective_status(CampaignStatus.OPEN, CLOSES, CLOSES - timedelta(seconds=1)) is CampaignStatus.OPEN
    assert effective_status(CampaignStatus.OPEN, CLOSES, CLOSES) is CampaignStatus.CLOSED
    assert effective_status(CampaignStatus.DRAFT, CLOSES, AFTER) is CampaignStatus.DRAFT


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (window(), None),
        (window(submission=None), None),
        (window(now=OPENS - timedelta(minutes=1)), "pas encore ouverte"),
        (window(now=AFTER), "date limite est passée"),
        (window(status=CampaignStatus.CLOSED), "date limite est passée"),
        (window(status=CampaignStatus.DRAFT), "pas encore ouverte"),
        (window(status=CampaignStatus.AGGREGATED, reopened=True), "agrégée"),
        (window(submission=SubmissionStatus.SUBMITTED), "soumis au signataire"),
        (window(submission=SubmissionStatus.VALIDATED), "validés"),
        (window(now=AFTER, reopened=True), None),
    ],
)
def test_the_entry_window_says_why_it_is_closed(entry, reason):
    refusal = entry.refusal()
    assert (refusal is None) if reason is None else (reason in refusal)


def test_an_agent_submits_a_draft_during_the_window():
    assert check_submit(window(), Role.AGENT) is SubmissionStatus.SUBMITTED


@pytest.mark.parametrize(
    ("entry", "role", "message"),
    [
        (window(), Role.SIGNATORY, "Seul un agent"),
        (window(submission=None), Role.AGENT, "Aucun besoin"),
        (window(now=AFTER), Role.AGENT, "date limite"),
        (window(submission=SubmissionStatus.SUBMITTED), Role.AGENT, "soumis"),
    ],
)
def test_submission_is_refused_with_a_reason(entry, role, message):
    with pytest.raises(TransitionRefused, match=message):
        check_submit(entry, role)


def test_the_signatory_validates_or_sends_back_only_a_submitted_submission():
    submitted = window(submission=SubmissionStatus.SUBMITTED, now=AFTER)
    assert check_validate(submitted, Role.SIGNATORY) is SubmissionStatus.VALIDATED
    assert check_send_back(submitted, Role.SIGNATORY, "Revoir les écrans") is SubmissionStatus.DRAFT
    with pytest.raises(TransitionRefused, match="Seul le signataire"):
        check_validate(submitted, Role.AGENT)
    with pytest.raises(TransitionRefused, match="soumis"):
        check_validate(window(), Role.SIGNATORY)
    with pytest.raises(TransitionRefused, match="corriger"):
        check_send_back(submitted, Role.SIGNATORY, "  ")
    aggregated = window(submission=SubmissionStatus.SUBMITTED, status=CampaignStatus.AGGREGATED)
    with pytest.raises(TransitionRefused, match="agrégée"):
        check_validate(aggregated, Role.SIGNATORY)


def test_only_the_coordinator_reopens_with_a_reason_before_aggregation():
    validated_late = window(submission=SubmissionStatus.VALIDATED, now=AFTER)
    assert check_reopen(validated_late, Role.COORDINATOR, "Oubli des écoles") is SubmissionStatus.DRAFT
    with pytest.raises(TransitionRefused, match="motif"):
        check_reopen(validated_late, Role.COORDINATOR, "")
    with pytest.raises(TransitionRefused, match="coordonnateur"):
        check_reopen(validated_late, Role.SIGNATORY, "x")
    with pytest.raises(TransitionRefused, match="agrégée"):
        check_reopen(window(status=CampaignStatus.AGGREGATED), Role.COORDINATOR, "x")


def test_campaigns_open_from_draft_and_close_from_open_only():
    assert check_campaign_transition("open", CampaignStatus.DRAFT) is CampaignStatus.OPEN
    assert check_campaign_transition("close", CampaignStatus.OPEN) is CampaignStatus.CLOSED
    with pytest.raises(TransitionRefused, match="Impossible d'ouvrir une campagne clôturée"):
        check_campaign_transition("open", CampaignStatus.CLOSED)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("12", 12), (" 1 000 ", 1000), ("", 0), (None, 0), (7.0, 7), (1_000_000, 1_000_000), (Decimal("3"), 3)],
)
def test_quantities_are_whole_numbers_from_zero_to_a_million(raw, value):
    assert parse_quantity(raw) == value


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2,5", "pas un nombre entier"),
        (2.5, "pas un nombre entier"),
        ("-1", "négative"),
        (-3, "négative"),
        ("1000001", "invraisemblable"),
        ("douze", "pas un nombre entier"),
        (True, "entier"),
        ("1e3", "entier"),
    ],
)
def test_bad_quantities_are_refused_in_french(raw, message):
    with pytest.raises(InvalidQuantity, match=message) as refused:
        parse_quantity(raw)
    assert isinstance(refused.value, ValueError)  # what the form fields' parsers must raise


def test_an_upload_diff_counts_modified_added_and_zeroed_lines():
    current = {"A": NeedValue(5), "B": NeedValue(2), "C": NeedValue(1, "écoles"), "D": NeedValue(4)}
    uploaded = {
        "A": NeedValue(6),
        "B": NeedValue(0),
        "C": NeedValue(1, "mairie"),
        "E": NeedValue(3),
        "F": NeedValue(0),
        "D": NeedValue(4),
    }
    diff = diff_needs(current, uploaded)
    assert set(diff.modified) == {"A", "C"}
    assert set(diff.added) == {"E"}
    assert set(diff.zeroed) == {"B"}
    assert diff.summary() == "2 lignes modifiées, 1 ajoutée, 1 remise à zéro"
    assert diff_needs(current, {"A": NeedValue(5)}).summary() == "Aucune modification."


def test_an_estimate_is_the_sum_of_its_line_amounts_each_to_the_cent():
    assert estimated_line_amount(3, Decimal("0.3333")) == Decimal("1.00")
    assert estimated_amount([(3, Decimal("0.3333")), (1, Decimal("849.00"))]) == Decimal("850.00")
    # Each line half up to the cent, then summed: 0,01 + 0,01 (not 0,01 for the unrounded 0,010).
    assert estimated_amount([(1, Decimal("0.005")), (1, Decimal("0.005"))]) == Decimal("0.02")
    assert estimated_amount([]) == Decimal("0")


def test_a_member_takes_part_in_the_families_it_joined_until_it_leaves():
    from datetime import date

    from groupement.campaigns.rules import joined_families

    opens = date(2026, 11, 2)
    assert joined_families({"informatique", "vehicules"}, None, {"informatique", "fournitures"}, opens) == {
        "informatique"
    }
    assert joined_families({"informatique"}, date(2026, 11, 3), {"informatique"}, opens) == {"informatique"}
    assert joined_families({"informatique"}, opens, {"informatique"}, opens) == frozenset()
