"""One elision rule for every name the application prints."""

import pytest

from groupement.core.french import a, de


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Alpes Bureautique", "d'Alpes Bureautique"),
        ("Les Éparres", "des Éparres"),
        ("Le Grand-Lemps", "du Grand-Lemps"),
        ("La Verpillière", "de La Verpillière"),
        ("L'Isle-d'Abeau", "de L'Isle-d'Abeau"),
        ("Éclose-Badinières", "d'Éclose-Badinières"),
        ("Heyrieux", "d'Heyrieux"),
        ("Hauterives", "de Hauterives"),
        ("Yenne", "d'Yenne"),
        ("Bourgoin-Jallieu", "de Bourgoin-Jallieu"),
        ("Lesbos", "de Lesbos"),
        ("  Villefontaine ", "de Villefontaine"),
    ],
)
def test_de_elides_and_contracts_like_french_does(name, expected):
    assert de(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Le Grand-Lemps", "au Grand-Lemps"),
        ("Les Éparres", "aux Éparres"),
        ("Alpes Bureautique", "à Alpes Bureautique"),
    ],
)
def test_a_contracts_with_the_article(name, expected):
    assert a(name) == expected


def test_an_empty_name_leaves_the_preposition_alone():
    assert de("") == "de"


def test_no_page_message_or_export_puts_a_name_after_a_bare_de():
    """A name printed after « de » or « à » goes through core.french (the `de`/`a` filters in
    templates): "Offre de Alpes…" and "Annexe de Les Éparres" were seen before this rule."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    name = r"[\w.\[\]()]*(name|supplier|seller|commune|buyer)[\w.\[\]()]*"
    patterns = [
        re.compile(r"\b(de|à) \{\{ ?" + name + r" ?\}\}"),  # Jinja: de {{ x.name }}
        re.compile(r"\b(de|à) \{" + name + r"\}"),  # f-string: de {x.name}
    ]
    offenders = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for folder, suffix in (("templates", "*.html"), ("groupement", "*.py"))
        for path in sorted((root / folder).rglob(suffix))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(pattern.search(line) for pattern in patterns)
    ]
    assert offenders == []
