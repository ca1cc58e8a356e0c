"""Reference data versioned with the code under catalogs/: read-only, the same on every server."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from groupement.core.identifiers import CpvNomenclature

CATALOGS_DIR = Path(__file__).resolve().parents[2] / "catalogs"
CATALOG_FILES = ("informatique.csv", "fournitures.csv", "vehicules.csv")


@cache
def cpv_nomenclature() -> CpvNomenclature:
    with open(CATALOGS_DIR / "cpv_fr.csv", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        return CpvNomenclature((code, label) for code, label in reader)


def catalog_paths() -> list[Path]:
    return [CATALOGS_DIR / name for name in CATALOG_FILES]


def capi_communes() -> list[dict[str, str]]:
    with open(CATALOGS_DIR / "capi_communes.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
