"""French prepositions before a proper name: « d'Alpes Bureautique », « du Grand-Lemps »,
« des Éparres », « de La Verpillière ». One rule for pages, messages, exports and PDFs.

Names are stored as written ("Les Éparres", "Le Grand-Lemps", "Alpes Bureautique"); the article
of a name contracts with « de » and « à » (de + le → du, de + les → des, à + le → au,
à + les → aux), « la » and « l' » do not, and « de » elides before a vowel or a mute h.
"""

from __future__ import annotations

import unicodedata

# Before these, h is aspirated: "de Hauterives", "de Hameau". Every other h is mute: "d'Heyrieux".
_ASPIRATED_H = ("hau", "ham", "han", "har", "has", "hal", "hon", "hou")
_CONTRACTED = {"de": {"le": "du", "les": "des"}, "à": {"le": "au", "les": "aux"}}


def de(name: str) -> str:
    """« de » followed by the name: de("Alpes Bureautique") == "d'Alpes Bureautique"."""
    return _preposition("de", name)


def a(name: str) -> str:
    """« à » followed by the name: a("Le Grand-Lemps") == "au Grand-Lemps"."""
    return _preposition("à", name)


def _preposition(word: str, name: str) -> str:
    name = (name or "").strip()
    if not name:
        return word
    article, _, rest = name.partition(" ")
    contracted = _CONTRACTED[word].get(article.lower())
    if contracted and rest:
        # "Les Éparres" → "des Éparres": the article becomes the preposition's, the rest keeps its case.
        return f"{contracted} {rest}"
    if word == "de" and _elides_before(name):
        return f"d'{name}"
    return f"{word} {name}"


def _elides_before(name: str) -> bool:
    first = unicodedata.normalize("NFD", name[:3].lower())
    letter = first[:1]
    if letter in "aeiouy":
        return True
    return letter == "h" and not unicodedata.normalize("NFC", name[:3].lower()).startswith(_ASPIRATED_H)
