"""Test data builders: sensible defaults, any field overridable."""

from __future__ import annotations

import functools
import itertools
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from stdnum import luhn
from werkzeug.security import generate_password_hash

from groupement.campaigns.models import Campaign, CampaignItem, NeedLine, Submission
from groupement.campaigns.rules import CampaignStatus, SubmissionStatus
from groupement.catalog.models import CatalogItem
from groupement.contracts.models import Award, Contract, ContractPrice
from groupement.contracts.rules import AwardDecision
from groupement.core.access import Actor, OrganisationKind, Role, system_actor
from groupement.core.money import line_amount, to_cents
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.lots.models import Lot, LotLine
from groupement.lots.rules import LotStatus
from groupement.organisations.families import Family
from groupement.organisations.models import ExecutionMode, Groupement, Membership, Organisation
from groupement.organisations.user_models import User
from groupement.tenders.models import Offer, OfferLine, Supplier
from groupement.tenders.rules import OfferSource

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


@functools.cache
def _password_hash() -> str:
    """Hashed once per run: the hash is deliberately slow, and every test makes users."""
    return generate_password_hash(PASSWORD)


def user(role: Role, org: Organisation, **values) -> User:
    n = next(_sequence)
    row = User(
        email=values.pop("email", f"{role.value}{n}@exemple.fr"),
        name=values.pop("name", f"{role.label} {n}"),
        role=role,
        organisation_id=org.id,
        **values,
    )
    row.password_hash = _password_hash()
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


def _first_coordinator() -> Organisation:
    """The coordinator a supplier belongs to when the test does not say: the first one."""
    found = db.session.scalar(
        select(Organisation).where(Organisation.kind == OrganisationKind.COORDINATOR).order_by(Organisation.id)
    )
    return found if found is not None else coordinator()


def cli_actor() -> Actor:
    """The system actor of the first coordinator (created if none): what the CLI acts as."""
    return system_actor(_first_coordinator().id)


def supplier(coordinator_org: Organisation | None = None, **values) -> Supplier:
    """A supplier of `coordinator_org` (default: the first coordinator, created if none)."""
    n = next(_sequence)
    values.setdefault("coordinator_id", (coordinator_org or _first_coordinator()).id)
    body = f"4{n:07d}"  # a SIREN with its Luhn key, then a SIRET of the head office
    siren = body + luhn.calc_check_digit(body)
    siret_body = siren + "0001"
    defaults = {
        "name": f"Fournisseur {n}",
        "siret": siret_body + luhn.calc_check_digit(siret_body),
        "vat_number": "",
        "address": "1 rue de l'Industrie",
        "postcode": "69001",
        "city": "Lyon",
        "contact_name": "Service marchés publics",
        "contact_email": f"marches{n}@fournisseur.fr",
    }
    defaults.update(values)
    row = Supplier(**defaults)
    db.session.add(row)
    db.session.flush()
    return row


def offer(lot: Lot, bidder: Supplier, prices: dict[LotLine, Decimal] | None = None, **values) -> Offer:
    """An offer pricing every counted line of the lot (default: the estimate less 10 %)."""
    prices = prices or {
        line: to_cents(line.estimated_unit_price * Decimal("0.9")) for line in lot.lines if not line.excluded_reason
    }
    lines = [
        OfferLine(
            lot_line_id=line.id,
            unit_price=price,
            eco_participation=line.eco_participation,
            line_total_ht=line_amount(line.total_quantity, price + line.eco_participation),
        )
        for line, price in prices.items()
    ]
    defaults = {"is_variant": False, "source": OfferSource.KEYED, "total_ht": sum(x.line_total_ht for x in lines)}
    defaults.update(values)
    row = Offer(lot_id=lot.id, supplier_id=bidder.id, lines=lines, **defaults)
    db.session.add(row)
    db.session.flush()
    return row


def contract(chosen: Offer, **values) -> Contract:
    """Award the offer's lot to it and create the framework contract with its prices."""
    lot = chosen.lot
    award = Award(lot_id=lot.id, decision=AwardDecision.AWARDED, offer_id=chosen.id)
    db.session.add(award)
    db.session.flush()
    lot.status = LotStatus.AWARDED
    n = next(_sequence)
    defaults = {
        "number": f"2027-L{lot.number:02d}-{n}",
        "maximum_amount": lot.maximum_amount or Decimal("100000"),
        "start_date": date(2027, 3, 1),
        "duration_months": lot.duration_months,
        "notified_on": date(2027, 2, 15),
        "procedure": "Appel d'offres ouvert",
        "offers_received": 1,
    }
    defaults.update(values)
    row = Contract(lot_id=lot.id, award_id=award.id, supplier_id=chosen.supplier_id, **defaults)
    row.prices = [
        ContractPrice(
            lot_line_id=offer_line.lot_line_id,
            item_id=offer_line.lot_line.item_id,
            unit_price=offer_line.unit_price,
            eco_participation=offer_line.eco_participation,
            vat_rate=offer_line.lot_line.vat_rate,
        )
        for offer_line in chosen.lines
    ]
    db.session.add(row)
    db.session.flush()
    return row


def supplier_user(supplier: Supplier, **values) -> User:
    """A user of the supplier record (role Fournisseur), in its coordinator's organisation."""
    from groupement.suppliers.models import SupplierUser

    organisation = db.session.get(Organisation, supplier.coordinator_id)
    row = user(Role.SUPPLIER, organisation, **values)
    db.session.add(SupplierUser(supplier_id=supplier.id, user_id=row.id))
    db.session.flush()
    return row
