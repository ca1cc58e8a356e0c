"""The letterhead of the documents a coordinator issues (core.files.pdf.Letterhead): its name,
address, SIRET and logo, as set on its settings page (organisations/web/settings.py)."""

from __future__ import annotations

import base64

from sqlalchemy import select

from groupement.core.access import OrganisationKind
from groupement.core.errors import NotFound
from groupement.core.files.pdf import Letterhead
from groupement.extensions import db
from groupement.organisations.models import Organisation


def letterhead_for(coordinator_id: int) -> Letterhead:
    """The coordinator's letterhead; NotFound for an organisation that is not a coordinator. The
    caller has checked that the document belongs to this coordinator."""
    # The letterhead's columns only (never a commune's row): the caller has checked the document.
    coordinator = db.session.execute(
        select(
            Organisation.name,
            Organisation.address,
            Organisation.postcode,
            Organisation.city,
            Organisation.siret,
            Organisation.logo,
            Organisation.logo_media_type,
        ).where(Organisation.id == coordinator_id, Organisation.kind == OrganisationKind.COORDINATOR)
    ).one_or_none()
    if coordinator is None:
        raise NotFound("Coordonnateur introuvable.")
    town = " ".join(part for part in (coordinator.postcode, coordinator.city) if part)
    lines = tuple(line.strip() for line in (coordinator.address or "").splitlines() if line.strip())
    return Letterhead(
        name=coordinator.name,
        address_lines=lines + ((town,) if town else ()),
        siret=coordinator.siret or "",
        logo_data_uri=logo_data_uri(coordinator.logo, coordinator.logo_media_type),
    )


def logo_data_uri(content: bytes | None, media_type: str | None) -> str:
    if not content or media_type not in ("image/png", "image/jpeg"):
        return ""
    return f"data:{media_type};base64,{base64.b64encode(content).decode('ascii')}"
