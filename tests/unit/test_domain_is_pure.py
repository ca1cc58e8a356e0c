import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "groupement" / "domain"
FORBIDDEN = (
    "flask",
    "sqlalchemy",
    "flask_sqlalchemy",
    "flask_login",
    "werkzeug",
    "groupement.models",
    "groupement.services",
    "groupement.web",
    "groupement.extensions",
)


def imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_nothing_under_domain_imports_flask_sqlalchemy_or_the_outer_layers():
    offenders = [
        f"{path.name}: {module}"
        for path in sorted(DOMAIN.glob("*.py"))
        for module in imported_modules(path)
        if module.split(".")[0] in FORBIDDEN or module.startswith(FORBIDDEN)
    ]
    assert offenders == []
    assert len(list(DOMAIN.glob("*.py"))) > 3
