"""Rounding lives in core/money.py only (docs/architecture.md §4): no `.quantize(` elsewhere."""

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "groupement"
QUANTIZE = re.compile(r"\.quantize\(")


def test_no_module_but_core_money_rounds():
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != PACKAGE / "core" / "money.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if QUANTIZE.search(line)
    ]
    assert offenders == []


def test_core_money_rounds_half_up_at_every_named_point():
    text = (PACKAGE / "core" / "money.py").read_text(encoding="utf-8")
    calls = re.findall(r"\w\.quantize\(([^)]*)\)", text)
    assert calls, "core/money.py doit arrondir"
    assert all("rounding=" in call for call in calls), calls
