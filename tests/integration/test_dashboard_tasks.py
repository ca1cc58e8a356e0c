"""The to-do list's pure rules: French plurals, urgency from a deadline, most urgent first."""

from __future__ import annotations

from datetime import date, timedelta

from groupement.dashboard.tasks import Task, Urgency, by_urgency, plural, urgency_of

TODAY = date(2026, 11, 28)


def task(label: str, urgency: Urgency = Urgency.TODO, due_on: date | None = None, count: int = 1) -> Task:
    return Task("kind", label, count, "dashboard.home", urgency=urgency, due_on=due_on)


def test_french_plurals_are_singular_below_two():
    assert [plural(n, "commune") for n in (0, 1, 2)] == ["0 commune", "1 commune", "2 communes"]
    assert plural(3, "facture répartie", "factures réparties") == "3 factures réparties"
    assert plural(1, "facture répartie", "factures réparties") == "1 facture répartie"


def test_a_deadline_today_or_past_is_late_within_a_week_soon_otherwise_to_do():
    assert urgency_of(TODAY, TODAY) is Urgency.LATE
    assert urgency_of(TODAY - timedelta(days=1), TODAY) is Urgency.LATE
    assert urgency_of(TODAY + timedelta(days=7), TODAY) is Urgency.SOON
    assert urgency_of(TODAY + timedelta(days=8), TODAY) is Urgency.TODO
    assert urgency_of(None, TODAY) is Urgency.TODO


def test_tasks_come_most_urgent_first_then_nearest_deadline_and_empty_ones_are_dropped():
    later = task("b plus tard", Urgency.TODO, TODAY + timedelta(days=40))
    sooner = task("c plus tôt", Urgency.TODO, TODAY + timedelta(days=20))
    undated = task("a sans date", Urgency.TODO)
    late = task("z en retard", Urgency.LATE)
    done = task("rien", Urgency.LATE, count=0)
    assert by_urgency([later, undated, done, sooner, late]) == [late, sooner, later, undated]
