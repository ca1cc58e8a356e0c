"""The settings an organisation keeps for its documents: the coordinator's letterhead (name,
address, SIRET, logo) and a commune's Chorus Pro service code. Use cases: an Actor, scoped
loads, flush and an audit event; never commit.

The logo is checked by its content, not its name: a PNG or a JPEG that Pillow opens and decodes,
at most 500 Ko and 4 000 pixels a side; it is kept in the database (never on a local disk) and
shown to WeasyPrint only as a data: URI (core/files/pdf.py).
"""

from __future__ import annotations

import io
import re
import warnings

from PIL import Image, UnidentifiedImageError

from groupement.core import audit
from groupement.core.access import COMMUNE_ROLES, Actor, OrganisationKind, Role
from groupement.core.errors import Forbidden, NotFound, ServiceError
from groupement.extensions import db
from groupement.organisations import scope
from groupement.organisations.models import Organisation

MAX_LOGO_BYTES = 500 * 1024
MAX_LOGO_SIDE = 4000
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
MAX_CHORUS_CODE_LENGTH = 100
_SIRET = re.compile(r"[0-9]{14}")
_CHORUS_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z _./-]*")


class LogoRefused(ServiceError):
    pass


def checked_logo(content: bytes) -> str:
    """The logo's media type (image/png, image/jpeg); LogoRefused, in French, otherwise."""
    if not content:
        raise LogoRefused("Le fichier du logo est vide.")
    if len(content) > MAX_LOGO_BYTES:
        raise LogoRefused(
            f"Le logo pèse {len(content) // 1024} Ko : 500 Ko au plus. Réduisez l'image (PNG ou JPEG) et réessayez."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                kind = image.format
                width, height = image.size
                if kind in LOGO_TYPES and max(width, height) <= MAX_LOGO_SIDE:
                    image.load()  # decodes it: a truncated or forged file fails here
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ):
        raise LogoRefused(
            "Ce fichier n'est pas une image PNG ou JPEG lisible : choisissez un logo PNG ou JPEG."
        ) from None
    if kind not in LOGO_TYPES:
        raise LogoRefused(f"Le logo doit être une image PNG ou JPEG (ce fichier est une image {kind}).")
    if max(width, height) > MAX_LOGO_SIDE:
        raise LogoRefused(f"Le logo mesure {width} × {height} pixels : {MAX_LOGO_SIDE} pixels de côté au plus.")
    return LOGO_TYPES[kind]


def own_coordinator(actor: Actor) -> Organisation:
    if actor.role not in (Role.COORDINATOR, Role.ADMIN):
        raise Forbidden("Seul le coordonnateur modifie son en-tête.")
    organisation = scope.get_scoped(Organisation, actor.organisation_id, Organisation.id, actor)
    if organisation.kind != OrganisationKind.COORDINATOR:
        raise NotFound()
    return organisation


def update_letterhead(
    actor: Actor,
    *,
    name: str,
    address: str,
    postcode: str,
    city: str,
    siret: str,
    logo: bytes | None = None,
    remove_logo: bool = False,
) -> Organisation:
    """The coordinator's letterhead; a new logo replaces the old one, remove_logo drops it."""
    coordinator = own_coordinator(actor)
    name, siret = (name or "").strip(), (siret or "").replace(" ", "").strip()
    if not name:
        raise ServiceError("Le nom du coordonnateur est obligatoire.")
    if siret and not _SIRET.fullmatch(siret):
        raise ServiceError("Le SIRET compte 14 chiffres.")
    media_type = checked_logo(logo) if logo else None
    before = _letterhead_facts(coordinator)
    coordinator.name = name
    coordinator.address = (address or "").strip()
    coordinator.postcode = (postcode or "").strip()
    coordinator.city = (city or "").strip()
    coordinator.siret = siret or None
    if media_type:
        coordinator.logo, coordinator.logo_media_type = logo, media_type
    elif remove_logo:
        coordinator.logo, coordinator.logo_media_type = None, None
    db.session.flush()
    audit.record(
        actor.user_id, "organisation.letterhead", "organisation", coordinator.id, before, _letterhead_facts(coordinator)
    )
    return coordinator


def _letterhead_facts(organisation: Organisation) -> dict:
    return {
        "name": organisation.name,
        "address": organisation.address,
        "postcode": organisation.postcode,
        "city": organisation.city,
        "siret": organisation.siret,
        "logo": organisation.logo_media_type,
        "logo_size": len(organisation.logo) if organisation.logo else 0,
    }


def set_chorus_service_code(actor: Actor, commune_id: int, code: str) -> Organisation:
    """A commune's Chorus Pro service code, set by the commune itself or its coordinator; NotFound
    for a commune out of the actor's scope."""
    commune = scope.get_scoped(Organisation, commune_id, Organisation.id, actor)
    if commune.kind != OrganisationKind.COMMUNE:
        raise NotFound()
    if actor.role in COMMUNE_ROLES and commune.id != actor.organisation_id:
        raise NotFound()
    if actor.role not in (*COMMUNE_ROLES, Role.COORDINATOR, Role.ADMIN):
        raise Forbidden("Votre rôle ne permet pas de modifier le code service Chorus Pro.")
    code = (code or "").strip()
    if len(code) > MAX_CHORUS_CODE_LENGTH:
        raise ServiceError(f"Le code service Chorus Pro compte {MAX_CHORUS_CODE_LENGTH} caractères au plus.")
    if code and not _CHORUS_CODE.fullmatch(code):
        raise ServiceError(
            "Le code service Chorus Pro s'écrit avec des lettres, des chiffres, des tirets ou des points."
        )
    before = commune.chorus_service_code
    commune.chorus_service_code = code
    db.session.flush()
    audit.record(
        actor.user_id, "organisation.chorus_service_code", "organisation", commune.id, {"code": before}, {"code": code}
    )
    return commune
