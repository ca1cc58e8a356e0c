"""The pure rules of each feature import nothing of Flask, SQLAlchemy, files or the outer layers.

The list of pure modules and of what they may not import is the `pure-rules` contract of
.importlinter (checked by `make lint`); this test applies the same contract inside `make test`."""

import ast
import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "groupement"
_CONTRACT = configparser.ConfigParser()
_CONTRACT.read(ROOT / ".importlinter", encoding="utf-8")
PURE_MODULES = _CONTRACT["importlinter:contract:pure-rules"]["source_modules"].split()
FORBIDDEN = tuple(_CONTRACT["importlinter:contract:pure-rules"]["forbidden_modules"].split())
ALLOWED_INSIDE = (*PURE_MODULES, "groupement.core.formatting")


def path_of(module: str) -> Path:
    return ROOT / (module.replace(".", "/") + ".py")


def imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def forbidden(module: str) -> bool:
    return module.startswith(FORBIDDEN) and (
        module in FORBIDDEN or module.startswith(tuple(f + "." for f in FORBIDDEN))
    )


def test_the_pure_rules_import_neither_flask_sqlalchemy_files_nor_impure_modules():
    offenders = [
        f"{module}: {imported}"
        for module in PURE_MODULES
        for imported in imported_modules(path_of(module))
        if forbidden(imported) or (imported.startswith("groupement") and imported not in ALLOWED_INSIDE)
    ]
    assert offenders == []


def test_every_features_rules_module_is_under_the_pure_contract():
    for feature in ("catalog", "campaigns", "lots", "tenders", "contracts", "invoices", "savings"):
        assert path_of(f"groupement.{feature}.rules").exists(), feature
        assert f"groupement.{feature}.rules" in PURE_MODULES, feature
