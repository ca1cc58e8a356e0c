"""The official DECP schema (v2.0.3, JSON Schema draft-07, tests/data/decp/) and what a document
breaks of it: one validator for every test that checks an exported document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

SCHEMA_FILE = Path(__file__).resolve().parent / "data" / "decp" / "schema_decp_v2.0.3.json"
SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
VALIDATOR = Draft7Validator(SCHEMA, format_checker=Draft7Validator.FORMAT_CHECKER)


def schema_errors(document: Any) -> list[str]:
    """Each violation as « [path]: message »; the document as JSON would carry it (Decimals as numbers)."""
    plain = json.loads(json.dumps(document, default=float))
    return [f"{list(error.absolute_path)}: {error.message}" for error in VALIDATOR.iter_errors(plain)]
