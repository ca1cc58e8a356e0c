"""The pure rules of each feature import nothing of Flask, SQLAlchemy, files or the outer layers.
`make lint` checks the same with import-linter; this test keeps the list of pure modules honest."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "groupement"
PURE = [
    "core/money.py",
    "core/errors.py",
    "core/access.py",
    "core/identifiers.py",
    "core/charts.py",
    "core/imports.py",
    "core/errors.py",
    "organisations/families.py",
    "catalog/rules.py",
    "campaigns/rules.py",
    "lots/rules.py",
    "lots/aggregation.py",
    "lots/allotment.py",
    "lots/procedures.py",
    "tenders/rules.py",
    "tenders/scoring.py",
    "contracts/rules.py",
    "contracts/order_rules.py",
    "invoices/states.py",
    "invoices/rules.py",
    "invoices/allocation.py",
    "invoices/apportionment.py",
    "savings/rules.py",
]
FORBIDDEN = ("flask", "sqlalchemy", "flask_sqlalchemy", "flask_login", "werkzeug", "openpyxl", "lxml", "fpdf")
ALLOWED_INSIDE = tuple("groupement." + path.removesuffix(".py").replace("/", ".") for path in PURE) + (
    "groupement.core.formatting",
)


def imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_the_pure_rules_import_neither_flask_sqlalchemy_files_nor_impure_modules():
    offenders = [
        f"{path}: {module}"
        for path in PURE
        for module in imported_modules(PACKAGE / path)
        if module.split(".")[0] in FORBIDDEN or (module.startswith("groupement") and module not in ALLOWED_INSIDE)
    ]
    assert offenders == []


def test_every_feature_has_its_pure_rules():
    for feature in ("catalog", "campaigns", "lots", "tenders", "contracts", "invoices", "savings"):
        assert (PACKAGE / feature / "rules.py").exists(), feature
