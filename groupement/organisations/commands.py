"""For the CLI: which coordinator a command acts for."""

from __future__ import annotations

import click
from sqlalchemy import select

from groupement.core.access import Actor, OrganisationKind, system_actor
from groupement.core.commands import FrenchError
from groupement.extensions import db
from groupement.organisations.models import Organisation

coordinator_option = click.option(
    "--coordinateur",
    "coordinator",
    default=None,
    metavar="SIREN",
    help="SIREN du coordonnateur pour lequel agir (facultatif s'il n'y en a qu'un).",
)


def acting_for(coordinator: str | None) -> Actor:
    """The system actor of the coordinator named by its SIREN, or of the only coordinator."""
    statement = select(Organisation).where(Organisation.kind == OrganisationKind.COORDINATOR)
    if coordinator is not None:
        found = db.session.scalar(statement.where(Organisation.siren == coordinator.strip()))
        if found is None:
            raise FrenchError(f"aucun coordonnateur de SIREN {coordinator}.")
        return system_actor(found.id)
    candidates = list(db.session.scalars(statement.order_by(Organisation.id).limit(2)))
    if not candidates:
        raise FrenchError("aucun coordonnateur dans la base : chargez les données (groupement demo) d'abord.")
    if len(candidates) > 1:
        raise FrenchError("plusieurs coordonnateurs dans la base : précisez lequel avec --coordinateur SIREN.")
    return system_actor(candidates[0].id)


def organisation_by_siren(siren: str) -> Organisation:
    """The organisation of this SIREN, for a command that names it (`groupement user create`)."""
    found = db.session.scalar(select(Organisation).where(Organisation.siren == siren.strip()))
    if found is None:
        raise FrenchError(f"aucune organisation de SIREN {siren}.")
    return found
