"""The member commune a line's own delivery place names (CTC-FR, Factur-X EXTENDED), pure.

A line delivered to a commune's site goes to that commune in the split, like a line tied to its
order (an order, when the line matches one, still wins: matching sets the commune again). The
site names the commune by its SIRET (or SIREN), else by its postcode and town name together;
a site that names none of the member communes, or more than one, names nobody, and the line is
shared by the allocation key as before."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from groupement.invoices.rules import DeliverySite


@dataclass(frozen=True)
class MemberCommune:
    id: int
    name: str
    siren: str
    siret: str | None
    postcode: str
    city: str


def town_key(name: str) -> str:
    """« Saint-Quentin-Fallavier » and « ST QUENTIN FALLAVIER » alike: no accents, no case, no
    hyphen or apostrophe, « St » for « Saint »."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().upper()
    words = re.sub(r"[^A-Z0-9]+", " ", text).split()
    return " ".join({"ST": "SAINT", "STE": "SAINTE"}.get(word, word) for word in words)


def delivery_commune(site: DeliverySite | None, communes: Sequence[MemberCommune]) -> MemberCommune | None:
    if site is None:
        return None
    if site.siret:
        by_siret = [c for c in communes if c.siret == site.siret] or [c for c in communes if c.siren == site.siret[:9]]
        if len(by_siret) == 1:
            return by_siret[0]
    if site.postcode and site.city:
        key, postcode = town_key(site.city), site.postcode.replace(" ", "")
        by_place = [
            c
            for c in communes
            if town_key(c.city or c.name) == key or town_key(c.name) == key
            if not c.postcode or c.postcode.replace(" ", "") == postcode
        ]
        if len(by_place) == 1:
            return by_place[0]
    return None


def describe(site: DeliverySite) -> str:
    parts = [f"SIRET {site.siret}" if site.siret else "", " ".join(p for p in (site.postcode, site.city) if p)]
    return ", ".join(p for p in parts if p)
