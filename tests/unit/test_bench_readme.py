"""The README's bench table is one run's, copied whole by `python -m benchmarks.readme`."""

from __future__ import annotations

import pytest

from benchmarks.__main__ import markdown
from benchmarks.readme import END, START, update

DOCUMENT = {
    "machine": {
        "date": "2026-12-03T06:54:29+00:00",
        "python": "3.11.7",
        "sqlite": "3.40.1",
        "cpus": 2,
        "platform": "x",
    },
    "clock": "cpu",
    "run_seconds": 933,
    "scenarios": [
        {
            "name": "http-lots",
            "size": "SQLite, L",
            "page_bytes": 81_767,
            "throughput": 3.6,
            "p50_ms": 5790.0,
            "p95_ms": 6896.8,
            "p99_ms": 7429.9,
            "errors": 0,
            "conflicts": None,
            "server_cpu_ms_per_request": 41.0,
            "baseline_throughput": 107.6,
            "ratio": 0.03,
            "target": "p95 < 150 ms ; aucune erreur",
            "met": False,
        }
    ],
}


def test_an_http_row_shows_its_page_size_cpu_per_request_target_and_verdict():
    table = markdown(DOCUMENT)
    assert "exécution complète en 15 min 33 s" in table
    assert "| http-lots | SQLite, L | 82 | 3,6 | 5\u202f790,0 | 6\u202f896,8 |" in table
    assert "| 41,0 | 107,6 | 0,03 | p95 < 150 ms ; aucune erreur | ❌ non |" in table


def test_an_http_row_of_several_targets_says_which_it_misses():
    from benchmarks.http import missed_parts

    theirs = {"throughput": 2000.0}
    fast_enough = {"throughput": 200.0, "p95_ms": 104.5, "errors": 0, "requests": 3000}
    assert missed_parts(fast_enough, theirs) == ["débit"]
    assert missed_parts({**fast_enough, "p95_ms": 155.4}, theirs) == ["débit", "p95"]
    assert missed_parts({**fast_enough, "throughput": 700.0}, theirs) == []
    row = {**DOCUMENT["scenarios"][0], "name": "http-grid", "missed": ["débit"]}
    assert "| ❌ non (débit) |" in markdown({**DOCUMENT, "scenarios": [row]})


def test_the_readme_table_is_replaced_between_its_markers_and_the_rest_kept(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"avant\n{START}\nvieux tableau\n{END}\naprès\n")
    update(readme, DOCUMENT)
    text = readme.read_text()
    assert text.startswith("avant\n") and text.endswith(f"{END}\naprès\n")
    assert "vieux tableau" not in text and "| http-lots |" in text


def test_a_readme_without_the_markers_is_refused_not_rewritten(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("rien\n")
    with pytest.raises(SystemExit, match="marqueurs absents"):
        update(readme, DOCUMENT)
    assert readme.read_text() == "rien\n"


def test_a_target_the_issue_states_at_l_is_judged_at_l_only():
    from benchmarks.__main__ import verdict

    app, base = {"seconds": 1.6, "peak_rss_mb": 200.0}, {"seconds": 1.0}
    assert verdict("aggregate", "sql", "S", app, base, 1.6) == (None, "à L : ratio ≤ 1,5 (ici indicatif)")
    assert verdict("aggregate", "sql", "L", app, base, 1.6) == (False, "à L : ratio ≤ 1,5")
    assert verdict("aggregate", "sql", "L", app, base, 1.4)[0] is True
    # The old baselines and the job overhead keep a verdict at every size.
    assert verdict("aggregate", "groupby", "S", app, base, 1.6) == (False, "ratio ≤ 1,5")
    assert verdict("jobs", "inprocess", "S", {"seconds": 0.16}, {"seconds": 0.1}, 1.6) == (True, "≤ 1,1 × + 50 ms")


def test_the_dossier_at_l_also_needs_its_peak_under_400_mo():
    from benchmarks.__main__ import verdict

    base = {"seconds": 10.0}
    assert verdict("exports", "writeonly", "L", {"seconds": 9.0, "peak_rss_mb": 390.0}, base, 0.9)[0] is True
    assert verdict("exports", "writeonly", "L", {"seconds": 9.0, "peak_rss_mb": 410.0}, base, 0.9)[0] is False


def test_an_indicative_row_shows_its_ratio_and_no_verdict():
    row = {
        "name": "aggregate",
        "size": "S",
        "seconds": 0.144,
        "baseline": "sql",
        "baseline_seconds": 0.036,
        "ratio": 3.96,
        "target": "à L : ratio ≤ 1,5 (ici indicatif)",
        "met": None,
        "peak_rss_mb": 145.8,
        "rows": 1347,
        "rows_per_second": 9356,
    }
    table = markdown({**DOCUMENT, "scenarios": [row]})
    assert "| 3,96 | 9\u202f356 | 145,8 | à L : ratio ≤ 1,5 (ici indicatif) | – (indicatif) |" in table
    assert "✅" not in table and "❌" not in table
