"""`python -m benchmarks.readme [results.json]`: the README's bench table, from a bench run.

Renders benchmarks/results/latest.json (or the file given) with the same `markdown()` as the run
writes to latest.md, and puts it in README.md between the two markers below, so that the table
shown is always one run's, whole, never retyped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from benchmarks.__main__ import RESULTS, markdown

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- bench:début (python -m benchmarks.readme) -->", "<!-- bench:fin -->"


def update(readme: Path, document: dict) -> None:
    text = readme.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"marqueurs absents de {readme} : {START} … {END}")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    readme.write_text(f"{before}{START}\n{markdown(document)}{END}{after}")


def main(argv: list[str]) -> None:
    source = Path(argv[0]) if argv else RESULTS / "latest.json"
    update(README, json.loads(source.read_text()))
    print(f"{README.name} : tableau de {source}")


if __name__ == "__main__":
    main(sys.argv[1:])
