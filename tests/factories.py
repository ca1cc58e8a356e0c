"""Test data builders: sensible defaults, any field overridable."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from stdnum import luhn

from groupement.domain.access import OrganisationKind, Role
from groupement.domain.campaigns import CampaignStatus, SubmissionStatus
from groupement.domain.families import Family
from groupement.extensions import db
from groupement.models import (
    Campaign,
    CampaignItem,
    CatalogItem,
    Groupement,
    Membership,
    NeedLine,
    Organisation,
    Submission,
    User,
)
from groupement.models.organisations import ExecutionMode
from groupement.timeutil import utcnow

PASSWORD = "Mot-de-passe-2026"
_sequence = itertools.count(1)


def valid_siren(n: int) -> str:
    """A SIREN with a correct Luhn key, distinct for every n."""
    body = f"21{n:06d}"
    return body + luhn.calc_check_digit(body)


def organisation(kind=OrganisationKind.COMMUNE, **values) -> Organisation:
    n = next(_sequence)
    defaults = {
        "name": f"Commune {n}",
        "insee_code": f"{38000 + n:05d}" if kind is OrganisationKind.COMMUNE else None,
        "siren": valid_siren(n),
        "population": 1000 * n,
        "address": "Place de la Mairie",
        "postcode": "38300",
        "city": "Bourgoin-Jallieu",
    }
    defaults.update(values)
    row = Organisation(kind=kind, **defaults)
    db.session.add(row)
    db.session.flush()
    return row


def coordinator(**values) -> Organisation:
    values.setdefault("name", "CAPI")
    values.setdefault("siren", "243800604")
    values.setdefault("siret", "24380060400346")
    return organisation(OrganisationKind.COORDINATOR, **values)


def groupement(coordinator_org: Organisation, **values) -> Groupement:
    defaults = {
        "name": f"Groupement {next(_sequence)}",
        "families": frozenset(Family),
        "convention_signed_on": date(2026, 1, 1),
        "execution_mode": ExecutionMode.INTEGRE,
    }
    defaults.update(values)
    row = Groupement(coordinator_id=coordinator_org.id, **defaults)
    db.session.add(row)
    db.session.flush()
    return row


def membership(group: Groupement, commune: Organisation, **values) -> Membership:
    defaults = {"families": frozenset(Family), "signed_on": date(2026, 1, 15)}
    defaults.update(values)
    row = Membership(groupement_id=group.id, commune_id=commune.id, **defaults)
    db.session.add(row)
    db.session.flush()
    return row


def user(role: Role, org: Organisation, **values) -> User:
    n = next(_sequence)
    row = User(
        email=values.pop("email", f"{role.value}{n}@exemple.fr"),
        name=values.pop("name", f"{role.label} {n}"),
        role=role,
        organisation_id=org.id,
        **values,
    )
    row.set_password(PASSWORD)
    db.session.add(row)
    db.session.flush()
    return row


def item(**values) -> CatalogItem:
    n = next(_sequence)
    defaults = {
        "ref": f"INF-TEST-{n}",
        "designation": f"Ordinateur portable de test {n}",
        "family": Family.INFORMATIQUE,
        "cpv_code": "30213100-6",
        "unit": "unité",
        "unit_price_ht": Decimal("849.00"),
        "vat_rate": Decimal("20.00"),
        "eco_participation": Decimal("1.00"),
        "account": "2183",
    }
    defaults.update(values)
    row = CatalogItem(**defaults)
    db.session.add(row)
    db.session.flush()
    return row


def campaign(group: Groupement, items: list[CatalogItem], **values) -> Campaign:
    """Open since yesterday, closing in 30 days, unless told otherwise."""
    now = utcnow()
    defaults = {
        "title": f"Recensement {next(_sequence)}",
        "year": 2027,
        "instructions": "Indiquez vos besoins pour l'année.",
        "opens_at": now - timedelta(days=1),
        "closes_at": now + timedelta(days=30),
        "status": CampaignStatus.OPEN,
    }
    defaults.update(values)
    row = Campaign(groupement_id=group.id, items=[CampaignItem(item_id=i.id) for i in items], **defaults)
    db.session.add(row)
    db.session.flush()
    return row


def submission(
    for_campaign: Campaign,
    commune: Organisation,
    quantities: dict[CatalogItem, int],
    status: SubmissionStatus = SubmissionStatus.DRAFT,
    updated_by: User | None = None,
) -> Submission:
    row = Submission(
        campaign_id=for_campaign.id,
        commune_id=commune.id,
        status=status,
        updated_by_id=updated_by.id if updated_by else None,
    )
    db.session.add(row)
    db.session.flush()
    for catalog_item, quantity in quantities.items():
        db.session.add(
            NeedLine(
                submission_id=row.id,
                item_id=catalog_item.id,
                quantity=quantity,
                updated_by_id=updated_by.id if updated_by else None,
            )
        )
    db.session.flush()
    return row
