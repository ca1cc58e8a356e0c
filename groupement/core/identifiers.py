"""Validation of the public identifiers the product relies on: SIREN, SIRET, INSEE, CPV."""

from __future__ import annotations

import re
from collections.abc import Iterable

from stdnum.exceptions import ValidationError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

CPV_SHAPE = re.compile(r"^\d{8}-\d$")
INSEE_SHAPE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


class InvalidIdentifier(ValueError):
    """The message is French and fit to show to a user."""


def clean_siren(value: str) -> str:
    try:
        return stdnum_siren.validate(value)
    except ValidationError as error:
        raise InvalidIdentifier(f"SIREN invalide « {value} » : {_reason(error)}.") from error


def clean_siret(value: str) -> str:
    try:
        return stdnum_siret.validate(value)
    except ValidationError as error:
        raise InvalidIdentifier(f"SIRET invalide « {value} » : {_reason(error)}.") from error


def siren_of_siret(siret: str) -> str:
    return stdnum_siret.to_siren(clean_siret(siret))


def clean_insee(value: str) -> str:
    value = value.strip().upper()
    if not INSEE_SHAPE.match(value):
        raise InvalidIdentifier(f"Code INSEE invalide « {value} » : 5 caractères attendus.")
    return value


def _reason(error: ValidationError) -> str:
    reasons = {
        "InvalidLength": "longueur incorrecte",
        "InvalidFormat": "format incorrect (chiffres attendus)",
        "InvalidChecksum": "clé de contrôle incorrecte",
        "InvalidComponent": "composant invalide",
    }
    return reasons.get(type(error).__name__, "valeur incorrecte")


class CpvNomenclature:
    """The official CPV list. A code is valid only if it appears in it with its check digit."""

    def __init__(self, entries: Iterable[tuple[str, str]]):
        self._labels = dict(entries)

    def __contains__(self, code: object) -> bool:
        return code in self._labels

    def __len__(self) -> int:
        return len(self._labels)

    def label(self, code: str) -> str:
        return self._labels[code]

    def validate(self, code: str) -> str:
        code = code.strip()
        if not CPV_SHAPE.match(code):
            raise InvalidIdentifier(
                f"Code CPV « {code} » mal formé : 8 chiffres, un tiret et la clé attendus (ex. 30213100-6)."
            )
        if code not in self._labels:
            root = code[:8]
            known = next((c for c in self._labels if c.startswith(root)), None)
            if known:
                raise InvalidIdentifier(
                    f"Code CPV « {code} » : clé de contrôle incorrecte (le code exact est {known})."
                )
            raise InvalidIdentifier(f"Code CPV « {code} » absent de la nomenclature CPV.")
        return code
