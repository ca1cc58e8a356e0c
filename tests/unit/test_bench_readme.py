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
