"""The password policy, applied wherever a password is chosen: account creation (admin pages,
CLI, demo), password change and reset.

- at least MIN_LENGTH characters once leading and trailing spaces are set aside, and not only
  spaces (the password is kept as typed: spaces inside or around it stay part of it);
- not the user's e-mail, its local part or their name, nor built on them;
- not guessable: zxcvbn (MIT, the Dropbox estimator's Python port) scores it against its lists of
  common passwords, words, names and keyboard patterns, with the user's own details added;
  a score below MIN_SCORE (of 0 to 4) is refused. `password1234` scores 1.
"""

from __future__ import annotations

import re
import unicodedata

from zxcvbn import zxcvbn

from groupement.core.errors import ServiceError

MIN_LENGTH = 12
MAX_LENGTH = 200
MIN_SCORE = 3
_LETTERS_AND_DIGITS = re.compile(r"[\W_]+", re.UNICODE)


class WeakPassword(ServiceError):
    pass


def _plain(text: str) -> str:
    """Letters and digits only, without case or accents: "Léa.Martin" and "leamartin" match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _LETTERS_AND_DIGITS.sub("", "".join(c for c in decomposed if not unicodedata.combining(c)))


def check_password(password: str, *, email: str = "", name: str = "") -> None:
    """Raise WeakPassword with a French message when `password` breaks the policy."""
    if not password or not password.strip():
        raise WeakPassword("Le mot de passe ne peut pas être fait uniquement d'espaces.")
    if len(password.strip()) < MIN_LENGTH:
        raise WeakPassword(f"Le mot de passe doit comporter au moins {MIN_LENGTH} caractères (hors espaces autour).")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Le mot de passe ne peut dépasser {MAX_LENGTH} caractères.")
    plain = _plain(password)
    local_part = email.partition("@")[0]
    personal = [value for value in (_plain(email), _plain(local_part), _plain(name)) if len(value) >= 3]
    personal += [word for word in (_plain(w) for w in re.split(r"\s+", name)) if len(word) >= 4]
    if any(value in plain for value in personal) or (plain and any(plain in value for value in personal)):
        raise WeakPassword(
            "Le mot de passe ne doit reprendre ni votre adresse électronique, ni votre nom : choisissez-en un autre."
        )
    inputs = [value for value in (email, local_part, name, *name.split()) if value]
    result = zxcvbn(password[:100], user_inputs=inputs)
    if result["score"] < MIN_SCORE:
        raise WeakPassword(
            "Ce mot de passe est trop facile à deviner (mot de passe courant, mot du dictionnaire, suite de "
            "clavier ou de chiffres, date…). Allongez-le, par exemple avec trois ou quatre mots sans lien entre eux."
        )
