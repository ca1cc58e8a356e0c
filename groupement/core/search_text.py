"""What every search compares: texts in lower case without accents, the same on every database.

SQLite's lower() only folds ASCII and neither database drops accents by itself, so a row keeps
its `search_key` (kept by mapper events) and a search compares the key of its words with it
through core/search.py: « energie » finds « Énergie Services », « ECRAN » finds « écran ».
"""

from __future__ import annotations

import unicodedata

# The length of the key of one name or title (200 characters): a compatibility decomposition
# (« ½ » → « 1⁄2 ») may lengthen it a little, the key is cut there.
NAME_KEY_LENGTH = 220


def search_key(*texts: str) -> str:
    """The texts joined by spaces, in lower case, without accents (NFKD then the combining marks
    dropped), spaces collapsed: « Écran 24 » → « ecran 24 »."""
    text = " ".join(part for part in texts if part)
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.lower().split())


def search_words(search: str) -> list[str]:
    """The words of a search box, as keys: what each row's key must contain."""
    return search_key(search).split()


def name_key(text: str) -> str:
    """The key of one name or title (a lot's, an organisation's, a user's), within NAME_KEY_LENGTH."""
    return search_key(text)[:NAME_KEY_LENGTH]
