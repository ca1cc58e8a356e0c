"""The demonstration data set: the CAPI, its 22 communes, the catalogs and one user per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from groupement.domain.access import OrganisationKind, Role
from groupement.domain.families import Family
from groupement.domain.identifiers import clean_insee, clean_siren, clean_siret
from groupement.extensions import db
from groupement.models import Groupement, Membership, Organisation, User
from groupement.models.organisations import ExecutionMode
from groupement.services import audit
from groupement.services.catalog import import_catalog
from groupement.services.reference_data import capi_communes, catalog_paths
from groupement.services.users import create_user

DEMO_PASSWORD = "Demo-groupement-2026"
DEMO_DOMAIN = "demo-groupement.fr"
GROUPEMENT_NAME = "Informatique, fournitures et véhicules"
CAPI = {
    "name": "Communauté d'agglomération Porte de l'Isère (CAPI)",
    "siren": "243800604",
    "siret": "24380060400346",
    "address": "17 avenue du Bourg, BP 90592",
    "postcode": "38081",
    "city": "L'Isle-d'Abeau Cedex",
}
# The smallest communes buy no vehicles through the groupement.
NOT_JOINED_FOR_VEHICLES = {"38136", "38102", "38091", "38498", "38156"}
COMMUNES_WITH_USERS = {"38053": "bourgoin-jallieu", "38553": "villefontaine", "38172": "four", "38136": "crachier"}


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: Role
    organisation: str


def load_demo() -> list[DemoLogin]:
    """Idempotent: what exists is kept, what is missing is added."""
    capi = _upsert_organisation(OrganisationKind.COORDINATOR, **CAPI, insee_code=None, population=None)
    communes = {}
    for row in capi_communes():
        communes[row["code_insee"]] = _upsert_organisation(
            OrganisationKind.COMMUNE,
            name=row["nom"],
            insee_code=clean_insee(row["code_insee"]),
            siren=row["siren"],
            siret=None,
            population=int(row["population_municipale"]),
            address="Mairie",
            postcode=row["code_postal"],
            city=row["nom"],
        )
    db.session.flush()
    groupement = db.session.scalar(select(Groupement).where(Groupement.name == GROUPEMENT_NAME))
    if groupement is None:
        groupement = Groupement(
            name=GROUPEMENT_NAME,
            coordinator_id=capi.id,
            families=frozenset(Family),
            convention_signed_on=date(2025, 12, 15),
            execution_mode=ExecutionMode.INTEGRE,
        )
        db.session.add(groupement)
        db.session.flush()
        audit.record(None, "groupement.create", "groupement", groupement.id, after={"name": GROUPEMENT_NAME})
    joined = {m.commune_id for m in groupement.memberships}
    for insee, commune in communes.items():
        if commune.id in joined:
            continue
        families = frozenset(Family) - ({Family.VEHICULES} if insee in NOT_JOINED_FOR_VEHICLES else set())
        membership = Membership(
            groupement_id=groupement.id,
            commune_id=commune.id,
            families=families,
            signed_on=date(2026, 1, 20),
        )
        db.session.add(membership)
        db.session.flush()
        audit.record(
            None,
            "membership.create",
            "membership",
            membership.id,
            after={"commune": commune.name, "families": families},
        )
    db.session.commit()

    import_catalog([(path.name, path.read_bytes()) for path in catalog_paths()], actor_id=None)

    wanted = [
        (f"coordinateur@{DEMO_DOMAIN}", "Claire Martin", Role.COORDINATOR, capi),
        (f"admin@{DEMO_DOMAIN}", "Hugo Bernard", Role.ADMIN, capi),
        (f"comptable@{DEMO_DOMAIN}", "Nadia Lefèvre", Role.ACCOUNTANT, capi),
    ]
    for insee, slug in COMMUNES_WITH_USERS.items():
        commune = communes[insee]
        wanted.append((f"agent.{slug}@{DEMO_DOMAIN}", f"Agent de {commune.name}", Role.AGENT, commune))
        wanted.append((f"signataire.{slug}@{DEMO_DOMAIN}", f"Signataire de {commune.name}", Role.SIGNATORY, commune))
    existing = set(db.session.scalars(select(User.email)))
    for email, name, role, organisation in wanted:
        if email not in existing:
            create_user(None, email, name, role, organisation.id, DEMO_PASSWORD)
    return [DemoLogin(email, role, organisation.name) for email, _, role, organisation in wanted]


def _upsert_organisation(kind: OrganisationKind, **values) -> Organisation:
    siren = clean_siren(values["siren"])
    if values.get("siret"):
        clean_siret(values["siret"])
    organisation = db.session.scalar(select(Organisation).where(Organisation.siren == siren))
    if organisation is None:
        organisation = Organisation(kind=kind, **values)
        db.session.add(organisation)
        db.session.flush()
        audit.record(
            None,
            "organisation.create",
            "organisation",
            organisation.id,
            after={"name": organisation.name, "siren": siren},
        )
    return organisation
