"""The demonstration data set: the CAPI, its 22 communes, the catalogs and one user per role."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from groupement.campaigns.models import Campaign, CampaignItem, NeedLine, Submission
from groupement.campaigns.rules import CampaignStatus, SubmissionStatus
from groupement.catalog.items import import_catalog
from groupement.catalog.models import CatalogItem
from groupement.catalog.reference_data import capi_communes, catalog_paths
from groupement.core import audit
from groupement.core.access import OrganisationKind, Role
from groupement.core.french import de
from groupement.core.identifiers import clean_insee, clean_siren, clean_siret
from groupement.core.money import to_cents
from groupement.core.timeutil import PARIS, paris_today
from groupement.demo.contract_life import LIFE_CONTRACT_MONTHS, demo_contract_life
from groupement.extensions import db
from groupement.organisations.families import Family
from groupement.organisations.models import ExecutionMode, Groupement, Membership, Organisation
from groupement.organisations.user_models import User
from groupement.organisations.users import create_user

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
        groupement.memberships.append(membership)  # nothing commits here: keep the loaded list true
        db.session.add(membership)
        db.session.flush()
        audit.record(
            None,
            "membership.create",
            "membership",
            membership.id,
            after={"commune": commune.name, "families": families},
        )
    db.session.flush()

    import_catalog([(path.name, path.read_bytes()) for path in catalog_paths()], actor_id=None)

    wanted = [
        (f"coordinateur@{DEMO_DOMAIN}", "Claire Martin", Role.COORDINATOR, capi),
        (f"admin@{DEMO_DOMAIN}", "Hugo Bernard", Role.ADMIN, capi),
        (f"comptable@{DEMO_DOMAIN}", "Nadia Lefèvre", Role.ACCOUNTANT, capi),
    ]
    for insee, slug in COMMUNES_WITH_USERS.items():
        commune = communes[insee]
        wanted.append((f"agent.{slug}@{DEMO_DOMAIN}", f"Agent {de(commune.name)}", Role.AGENT, commune))
        wanted.append((f"signataire.{slug}@{DEMO_DOMAIN}", f"Signataire {de(commune.name)}", Role.SIGNATORY, commune))
    existing = set(db.session.scalars(select(User.email)))
    for email, name, role, organisation in wanted:
        if email not in existing:
            create_user(None, email, name, role, organisation.id, DEMO_PASSWORD)
    _load_campaigns(groupement, communes)
    logins = [DemoLogin(email, role, organisation.name) for email, _, role, organisation in wanted]
    return logins + _supplier_logins(capi)


def _supplier_logins(capi: Organisation) -> list[DemoLogin]:
    """One user per awarded supplier of the coordinator (issue 17): its supplier space."""
    from groupement.contracts.models import Contract
    from groupement.core.formatting import slug
    from groupement.suppliers.models import SupplierUser
    from groupement.tenders.models import Supplier

    holders = db.session.scalars(
        select(Supplier)
        .where(Supplier.coordinator_id == capi.id, Supplier.id.in_(select(Contract.supplier_id)))
        .order_by(Supplier.name)
    ).all()
    existing = set(db.session.scalars(select(User.email)))
    logins = []
    for supplier in holders:
        email = f"fournisseur.{slug(supplier.name, 40, default='titulaire')}@{DEMO_DOMAIN}"
        if email not in existing:
            name = f"Commercial {de(supplier.name)}"
            user = User(email=email, name=name, role=Role.SUPPLIER, organisation_id=capi.id)
            user.set_password(DEMO_PASSWORD)
            db.session.add(user)
            db.session.flush()
            db.session.add(SupplierUser(supplier_id=supplier.id, user_id=user.id))
            db.session.flush()
            audit.record(None, "supplier_user.create", "user", user.id, after={"email": email, "supplier": supplier.id})
        logins.append(DemoLogin(email, Role.SUPPLIER, supplier.name))
    return logins


# Where each commune stands in the open 2027 campaign; the others have validated.
CAMPAIGN_STAGE = {
    "38136": None,  # Crachier: not started
    "38498": None,  # Succieu: not started
    "38053": SubmissionStatus.DRAFT,  # Bourgoin-Jallieu
    "38102": SubmissionStatus.DRAFT,  # Chèzeneuve
    "38553": SubmissionStatus.SUBMITTED,  # Villefontaine
    "38223": SubmissionStatus.SUBMITTED,  # Maubec
}
# Per family: chance that a commune needs an item, and yearly quantity per 1 000 inhabitants.
NEED_PROFILE = {Family.INFORMATIQUE: (0.35, 0.8), Family.FOURNITURES: (0.55, 9.0), Family.VEHICULES: (0.1, 0.04)}


def _load_campaigns(groupement: Groupement, communes: dict[str, Organisation]) -> None:
    """Last year's campaign, archived, and this year's, open: most communes have validated."""
    if db.session.scalar(select(Campaign.id).where(Campaign.groupement_id == groupement.id)):
        return
    items = db.session.scalars(select(CatalogItem).where(CatalogItem.active.is_(True))).all()
    coordinator = db.session.scalar(select(User).where(User.email == f"coordinateur@{DEMO_DOMAIN}"))
    today = paris_today()
    previous = _campaign(
        groupement,
        items,
        coordinator,
        "Recensement des besoins 2026",
        2026,
        _paris(today - timedelta(days=390), 9),
        _paris(today - timedelta(days=320), 12),
        CampaignStatus.CLOSED,
    )
    current = _campaign(
        groupement,
        items,
        coordinator,
        "Recensement des besoins 2027",
        2027,
        _paris(today - timedelta(days=26), 9),
        _paris(today + timedelta(days=48), 12),
        CampaignStatus.OPEN,
    )
    for insee, commune in communes.items():
        membership = next(m for m in groupement.memberships if m.commune_id == commune.id)
        joined = [item for item in items if item.family in membership.families]
        _demo_submission(previous, commune, joined, SubmissionStatus.VALIDATED, seed=2026)
        stage = CAMPAIGN_STAGE.get(insee, SubmissionStatus.VALIDATED)
        if stage is not None:
            _demo_submission(current, commune, joined, stage, seed=2027)
    db.session.flush()
    _carry_through(previous, today)


# Fictional bidders (valid SIRET keys) and how their prices compare to the estimate.
DEMO_SUPPLIERS = (
    ("Alpes Bureautique Services", "38", "0.87", 22, 8),
    ("Dauphiné Équipement Public", "69", "0.93", 26, 7),
    ("Rhône Fournitures Collectivités", "42", "1.04", 24, 9),
)
DEMO_ORDERS = {"38053": 6, "38553": 4, "38172": 2}  # commune: quantity of each ordered line
LIFE_LOT = 1  # the second lot's contract is renewed, amended and revised (demo/contract_life.py)


def _carry_through(campaign: Campaign, today: date) -> None:
    """Last year's campaign taken to the end: lots published, three offers each, awarded; a few
    orders and deliveries; one supplier invoice imported, matched and split."""
    from groupement.contracts import awards, orders, rejections
    from groupement.core.identifiers import clean_siret
    from groupement.invoices import importing, matching, service_fait, splitting
    from groupement.invoices.allocation import AllocationKey
    from groupement.lots import campaign_aggregation, edits, queries
    from groupement.tenders import offer_criteria, offer_queries, offers, suppliers

    coordinator = db.session.scalar(select(User).where(User.email == f"coordinateur@{DEMO_DOMAIN}")).actor
    campaign_aggregation.aggregate_campaign(coordinator, campaign.id)
    bidders = []
    for index, (name, department, _, _, _) in enumerate(DEMO_SUPPLIERS, start=1):
        siret = _demo_siret(f"8{department}{index:05d}")
        bidders.append(
            suppliers.create_supplier(
                coordinator,
                suppliers.SupplierData(
                    name=name,
                    siret=clean_siret(siret),
                    address=f"{index} rue des Entrepreneurs",
                    postcode=f"{department}000",
                    city="Lyon" if department == "69" else "Grenoble",
                    contact_name="Service marchés publics",
                    contact_email=f"marches{index}@exemple.fr",
                ),
            )
        )
    launch = today - timedelta(days=270)
    contracts = []
    for index, view in enumerate(queries.overview_of(campaign).lots):
        lot = view.lot
        months = LIFE_CONTRACT_MONTHS if index == LIFE_LOT else 48  # the contract whose life the demo shows
        edits.set_lot_parameters(coordinator, lot.id, months, Decimal("20"), None, launch)
        edits.publish_lot(coordinator, lot.id, today=launch)
        offer_criteria.set_criteria(coordinator, lot.id, Decimal(60), Decimal(30), Decimal(10))
        for bidder, (_, _, factor, technical, environmental) in zip(bidders, DEMO_SUPPLIERS, strict=True):
            recorded = offers.key_in_offer(
                coordinator,
                lot.id,
                bidder.id,
                {
                    line.id: (
                        to_cents(line.estimated_unit_price * Decimal(factor)),
                        line.eco_participation,
                    )
                    for line in view.counted_lines
                },
            )
            offer_criteria.score_offer(
                coordinator,
                recorded.offer.id,
                Decimal(technical),
                "Mémoire technique : délais, garanties, SAV sur site.",
                Decimal(environmental),
                "Reprise des emballages, livraisons groupées, matériel labellisé.",
            )
        best = offer_queries.analysis(coordinator, lot.id).ranking[0]
        vehicles = lot.family.value == "vehicules"
        # The rejection letters start the standstill period the notification waits for (R2182-1).
        rejections.record_rejections_sent(coordinator, lot.id, best.offer_id, sent_on=launch + timedelta(days=55))
        contracts.append(
            awards.award_lot(
                coordinator,
                lot.id,
                best.offer_id,
                start_date=launch + timedelta(days=75),
                notified_on=launch + timedelta(days=70),
                origin_eu_percent=Decimal(80) if vehicles else None,
                origin_france_percent=Decimal(35) if vehicles else None,
            )
        )
    demo_contract_life(coordinator, contracts[LIFE_LOT], today)  # before its orders: they get the revised prices
    communes = {
        c.insee_code: c
        for c in db.session.scalars(select(Organisation).where(Organisation.insee_code.in_(DEMO_ORDERS)))
    }
    ordered = []
    for insee, quantity in DEMO_ORDERS.items():
        agent = db.session.scalar(
            select(User).where(User.organisation_id == communes[insee].id, User.email.like("agent.%"))
        ).actor
        for contract in contracts[:2]:
            prices = sorted(contract.prices, key=lambda price: price.id)[:2]
            order = orders.place_order(
                agent,
                contract.id,
                [(price.id, quantity) for price in prices],
                f"Mairie {de(communes[insee].name)}, services techniques, {communes[insee].postcode}",
                today=today,  # within the execution period: notified and started months ago, for 48 months
            )
            first = order.lines[0]
            delivery = orders.record_delivery(agent, first.id, today, quantity // 2 or 1)
            service_fait.certify_delivery(agent, delivery.id)  # the commune certifies what it received
            ordered.append((communes[insee], order))
    _demo_invoice(contracts[0], ordered, today, AllocationKey.AMOUNT, (importing, matching, splitting))


def _demo_invoice(contract, ordered, today: date, key, invoices) -> None:
    importing, matching, splitting = invoices
    """A spreadsheet invoice of the first contract's supplier for what was delivered."""
    rows = [
        "numero_facture;date_facture;fournisseur_siret;numero_commande;code_insee;ref_article;designation;"
        "quantite;prix_unitaire_ht;taux_tva;acheteur_nom;acheteur_siret"
    ]
    for commune, order in ordered:
        if order.contract_id != contract.id:
            continue
        line = order.lines[0]
        delivered = sum(d.quantity for d in line.deliveries)
        rows.append(
            f"FA-{today.year}-0042;{today.isoformat()};{contract.supplier.siret};{order.number};{commune.insee_code};"
            f"{line.contract_price.lot_line.ref};{line.contract_price.lot_line.designation[:80]};{delivered};"
            f"{line.unit_price + line.eco_participation};{line.vat_rate};{CAPI['name']};{CAPI['siret']}"
        )
    accountant = db.session.scalar(select(User).where(User.email == f"comptable@{DEMO_DOMAIN}")).actor
    invoice = importing.import_invoice(accountant, "facture-demo.csv", ("\n".join(rows) + "\n").encode())
    matching.match_invoice(accountant, invoice.id)
    splitting.split_invoice(accountant, invoice.id, key)


def _demo_siret(body: str) -> str:
    """A SIRET with correct keys: SIREN (8 digits + key), then establishment 0001 + key."""
    from stdnum import luhn

    siren = body[:8] + luhn.calc_check_digit(body[:8])
    return siren + "0001" + luhn.calc_check_digit(siren + "0001")


def _paris(day: date, hour: int) -> datetime:
    """A Paris wall-clock time on that day, as the naive UTC the database stores."""
    return datetime.combine(day, time(hour), tzinfo=PARIS).astimezone(UTC).replace(tzinfo=None)


def _campaign(groupement, items, coordinator, title, year, opens_at, closes_at, status) -> Campaign:
    campaign = Campaign(
        groupement_id=groupement.id,
        title=title,
        year=year,
        opens_at=opens_at,
        closes_at=closes_at,
        status=status,
        created_by_id=coordinator.id if coordinator else None,
        instructions="Indiquez les quantités nécessaires pour l'année, écoles et services compris. "
        "Précisez en commentaire toute contrainte (accessibilité, livraison, couleur).",
        items=[CampaignItem(item_id=item.id) for item in items],
    )
    db.session.add(campaign)
    db.session.flush()
    audit.record(None, "campaign.create", "campaign", campaign.id, after={"title": title, "demo": True})
    return campaign


def _demo_submission(campaign, commune, items, status, seed: int) -> None:
    rng = random.Random(f"{seed}-{commune.insee_code}")
    submission = Submission(
        campaign_id=campaign.id,
        commune_id=commune.id,
        status=status,
        submitted_at=campaign.opens_at + timedelta(days=rng.randint(3, 20))
        if status is not SubmissionStatus.DRAFT
        else None,
    )
    if status is SubmissionStatus.VALIDATED:
        submission.validated_at = submission.submitted_at + timedelta(days=rng.randint(1, 4))
    submission.updated_at = submission.validated_at or submission.submitted_at or campaign.opens_at + timedelta(days=2)
    db.session.add(submission)
    db.session.flush()
    thousands = (commune.population or 1000) / 1000
    for item in items:
        chance, rate = NEED_PROFILE[item.family]
        if rng.random() > chance:
            continue
        quantity = max(1, round(thousands * rate * rng.uniform(0.5, 1.5)))
        db.session.add(NeedLine(submission_id=submission.id, item_id=item.id, quantity=quantity))
    audit.record(None, "submission.demo", "submission", submission.id, after={"status": status})


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
