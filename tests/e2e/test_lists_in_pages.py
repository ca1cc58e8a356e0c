"""Every list in pages with its count and its filters (issue 14): at a thousand contracts, orders
and recovery titles (bulk-inserted) each page stays under 300 KB, page 2 shows the next rows, the
filters of the query string narrow the list (and the count), odd values are ignored, and another
coordinator's rows are never listed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from groupement.campaigns.rules import CampaignStatus
from groupement.contracts.models import Award, Contract, ContractPrice, Delivery, Order, OrderLine
from groupement.contracts.rules import AwardDecision
from groupement.core.access import OrganisationKind, Role
from groupement.core.formatting import number
from groupement.core.search_text import search_key
from groupement.core.timeutil import utcnow
from groupement.extensions import db
from groupement.invoices.models import Invoice, RecoveryTitle
from groupement.invoices.states import InvoiceKind, InvoiceStatus
from groupement.invoices.title_rules import TitleKind, TitleStatus
from groupement.lots.models import Lot, LotLine
from groupement.organisations.families import Family
from tests import factories
from tests.conftest import log_in

MAX_PAGE_BYTES = 300_000
LARGE = 1000
THEIRS = 30
COMMUNES = 20


@dataclass
class Side:
    """One coordinator's world: its users' e-mails, communes, suppliers and contracts' ids."""

    emails: dict[str, str] = field(default_factory=dict)
    communes: list[int] = field(default_factory=list)
    commune_names: list[str] = field(default_factory=list)
    suppliers: list[int] = field(default_factory=list)
    contracts: list[int] = field(default_factory=list)
    invoices: list[int] = field(default_factory=list)


def _side(coordinator, prefix: str, contracts: int, orders: int, titles: int) -> Side:
    side = Side()
    for role in (Role.COORDINATOR, Role.ACCOUNTANT, Role.ADMIN):
        side.emails[role.value] = factories.user(role, coordinator).email
    group = factories.groupement(coordinator)
    for n in range(COMMUNES):
        commune = factories.organisation(name=f"{prefix} Commune {n:02d}")
        factories.membership(group, commune)
        side.communes.append(commune.id)
        side.commune_names.append(commune.name)
    side.emails["agent"] = factories.user(Role.AGENT, db.session.get(type(commune), side.communes[0])).email
    side.emails["signatory"] = factories.user(Role.SIGNATORY, db.session.get(type(commune), side.communes[0])).email
    campaign = factories.campaign(group, [factories.item()], status=CampaignStatus.AGGREGATED)
    names = [f"{prefix} Énergie Services", f"{prefix} Papeterie", f"{prefix} Informatique"]
    side.suppliers = [factories.supplier(coordinator, name=name).id for name in names]

    db.session.execute(
        insert(Lot),
        [
            dict(
                campaign_id=campaign.id,
                number=n + 1,
                title=f"Lot {n + 1}",
                family=Family.INFORMATIQUE,
                search_key=f"lot {n + 1}",  # a bulk insert runs no mapper event
            )
            for n in range(contracts)
        ],
    )
    lot_ids = db.session.scalars(select(Lot.id).where(Lot.campaign_id == campaign.id).order_by(Lot.number)).all()
    db.session.execute(insert(Award), [dict(lot_id=i, decision=AwardDecision.AWARDED) for i in lot_ids])
    award_of = dict(db.session.execute(select(Award.lot_id, Award.id).where(Award.lot_id.in_(lot_ids))).all())
    db.session.execute(
        insert(Contract),
        [
            dict(
                number=f"{prefix}-{n:04d}",
                lot_id=lot_id,
                award_id=award_of[lot_id],
                supplier_id=side.suppliers[n % 3],
                maximum_amount=Decimal("100000"),
                start_date=date(2026, 3, 1),
                duration_months=24,
                # The first ones latest: the list shows them first.
                notified_on=date(2026 - (n % 2), 12, 31) - timedelta(days=n // 4),
                procedure="Appel d'offres ouvert",
                offers_received=1,
            )
            for n, lot_id in enumerate(lot_ids)
        ],
    )
    side.contracts = db.session.scalars(select(Contract.id).where(Contract.lot_id.in_(lot_ids))).all()
    db.session.execute(
        insert(Order),
        [
            dict(
                number=f"BC-{prefix}-{n:05d}",
                contract_id=side.contracts[n % len(side.contracts)],
                commune_id=side.communes[n % COMMUNES],
                year=2026 if n % 4 else 2025,
                sequence=n + 1,
                delivery_address="Mairie",
                total_ht=Decimal("120.00"),
                created_at=utcnow() - timedelta(minutes=n),
            )
            for n in range(orders)
        ],
    )
    invoice_count = max(1, -(-titles // COMMUNES))
    db.session.execute(
        insert(Invoice),
        [
            dict(
                coordinator_id=coordinator.id,
                number=f"F-{prefix}-{n:04d}",
                number_key=f"F{prefix}{n:04d}",
                kind=InvoiceKind.INVOICE,
                type_code="380",
                status=InvoiceStatus.RECOVERED,
                issue_date=date(2026, 6, 1),
                currency="EUR",
                seller_key=f"vendeur-{prefix}",
                seller_name=f"Vendeur {prefix}",
                source_format="ubl",
                file_name=f"{n}.xml",
                total_ht=Decimal("1000.00"),
                total_vat=Decimal("200.00"),
                total_ttc=Decimal("1200.00"),
                search_key=search_key(f"F-{prefix}-{n:04d}", f"Vendeur {prefix}"),  # a bulk insert runs no mapper event
            )
            for n in range(invoice_count)
        ],
    )
    side.invoices = db.session.scalars(
        select(Invoice.id).where(Invoice.coordinator_id == coordinator.id).order_by(Invoice.number)
    ).all()
    db.session.execute(
        insert(RecoveryTitle),
        [
            dict(
                coordinator_id=coordinator.id,
                number=f"TR-{prefix}-{n:05d}",
                kind=TitleKind.TITLE,
                status=TitleStatus.ISSUED,
                invoice_id=side.invoices[n // COMMUNES],
                commune_id=side.communes[n % COMMUNES],
                object="Part de la facture",
                amount_ttc=Decimal("60.00"),
                paid_total=Decimal("60.00") if n % 5 == 0 else Decimal("0.00"),  # one in five settled
                account="2183",
                due_date=date(2026, 7, 1),
            )
            for n in range(titles)
        ],
    )
    return side


def _world(app, size: int = LARGE) -> tuple[Side, Side]:
    with app.app_context():
        ours = factories.coordinator()
        theirs = factories.organisation(OrganisationKind.COORDINATOR, name="Autre groupement")
        worlds = _side(ours, "NOUS", size, size, size), _side(theirs, "EUX", THEIRS, THEIRS, THEIRS)
        db.session.commit()
        return worlds


def _flat(html: str) -> str:
    return " ".join(html.replace("\u202f", " ").replace("\xa0", " ").split())


def _get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    assert len(response.data) < MAX_PAGE_BYTES, f"{url}: {len(response.data)} octets"
    return _flat(response.get_data(as_text=True))


def test_a_thousand_contracts_in_pages_filtered_by_supplier_year_and_words(app, client):
    ours, theirs = _world(app)
    log_in(client, ours.emails["coordinator"])

    first = _get(client, "/contrats")
    assert "1 000 accords-cadres" in first and "1–50 sur 1 000 accords-cadres" in first
    # Latest notified first: the even-numbered ones of 2026 (NOUS-0000, 0002… 0098), then the next fifty.
    assert ">NOUS-0000<" in first and ">NOUS-0098<" in first and ">NOUS-0001<" not in first
    assert "EUX-" not in first
    numbers = set()
    for page in (1, 2):
        numbers |= set(re.findall(r">(NOUS-\d{4})</a>", _get(client, f"/contrats?page={page}")))
    assert len(numbers) == 100  # page 2 shows the next fifty, none twice
    second = _get(client, "/contrats?page=2")
    assert "51–100 sur 1 000" in second and 'rel="prev"' in second
    assert ">NOUS-0100<" in second and ">NOUS-0098<" not in second

    energie = ours.suppliers[0]
    by_supplier = _get(client, f"/contrats?titulaire={energie}")
    assert "334 accords-cadres" in by_supplier and "NOUS Papeterie</td>" not in by_supplier
    assert f"titulaire={energie}&amp;page=2" in by_supplier or f"page=2&amp;titulaire={energie}" in by_supplier
    assert "334 accords-cadres" in _get(client, "/contrats?q=energie")  # the accent-blind supplier key
    assert "500 accords-cadres" in _get(client, "/contrats?annee=2025")
    assert "1 accord-cadre" in _get(client, "/contrats?q=nous-0007")
    assert "Aucun accord-cadre" in _get(client, f"/contrats?titulaire={theirs.suppliers[0]}")  # not ours: nothing
    for odd in ("annee=abc", "annee=1789", "titulaire=-1", "campagne=x%00", "page=0", "par_page=999999", "q=%25"):
        assert client.get(f"/contrats?{odd}").status_code in (200, 400)


def test_a_thousand_orders_in_pages_filtered_by_delivery_commune_year_and_words(app, client):
    ours, theirs = _world(app)
    with app.app_context():
        # Two orders get a line: one delivered in full, one in part.
        full, part = db.session.scalars(
            select(Order).where(Order.number.in_(["BC-NOUS-00003", "BC-NOUS-00004"])).order_by(Order.number)
        )
        for order, delivered in ((full, 5), (part, 2)):
            contract = db.session.get(Contract, order.contract_id)
            item = factories.item()
            lot_line = LotLine(
                lot_id=contract.lot_id,
                campaign_id=contract.lot.campaign_id,
                item_id=item.id,
                line_key=f"L-{order.id}",
                position=1,
                ref=item.ref,
                designation=item.designation,
                unit="unité",
                cpv_code=item.cpv_code,
                account="2183",
                vat_rate=Decimal("20"),
                estimated_unit_price=Decimal("24"),
                eco_participation=Decimal("0"),
                total_quantity=5,
            )
            db.session.add(lot_line)
            db.session.flush()
            price = ContractPrice(
                contract_id=contract.id,
                lot_line_id=lot_line.id,
                item_id=item.id,
                unit_price=Decimal("24"),
                eco_participation=Decimal("0"),
                vat_rate=Decimal("20"),
            )
            db.session.add(price)
            db.session.flush()
            line = OrderLine(
                order_id=order.id,
                contract_price_id=price.id,
                item_id=item.id,
                quantity=5,
                unit_price=Decimal("24"),
                eco_participation=Decimal("0"),
                vat_rate=Decimal("20"),
                amount_ht=Decimal("120.00"),
            )
            db.session.add(line)
            db.session.flush()
            db.session.add(Delivery(order_line_id=line.id, delivered_on=date(2026, 6, 1), quantity=delivered))
        db.session.commit()
    log_in(client, ours.emails["coordinator"])

    first = _get(client, "/commandes")
    assert "1 000 bons de commande" in first and "1–50 sur 1 000 bons de commande" in first and "BC-EUX" not in first
    second = _get(client, "/commandes?page=2")
    assert "51–100 sur 1 000" in second and "BC-NOUS-00050" in second and "BC-NOUS-00049" not in second
    assert "2 bons de commande" not in _get(client, "/commandes?livraison=delivered")
    assert "1 bon de commande" in _get(client, "/commandes?livraison=delivered")
    assert "1 bon de commande" in _get(client, "/commandes?livraison=partial")
    assert "998 bons de commande" in _get(client, "/commandes?livraison=waiting")
    assert "50 bons de commande" in _get(client, f"/commandes?commune={ours.communes[1]}")
    assert "250 bons de commande" in _get(client, "/commandes?annee=2025")
    assert "1 bon de commande" in _get(client, "/commandes?q=bc-nous-00042")
    assert "Aucun bon de commande" in _get(client, f"/commandes?commune={theirs.communes[0]}")
    for odd in ("livraison=perdue", "commune=abc", "annee=20261", "marche=0", "page=-1"):
        assert client.get(f"/commandes?{odd}").status_code == 200

    client = app.test_client()
    log_in(client, ours.emails["agent"])
    own = _get(client, "/commandes")
    assert "50 bons de commande" in own and "BC-NOUS-00001<" not in own  # commune 0's orders only
    assert "50 bons de commande" in _get(client, f"/commandes?commune={ours.communes[1]}")  # not a filter of theirs


def test_a_thousand_recovery_titles_in_pages_filtered_and_exported_whole(app, client):
    ours, theirs = _world(app)
    log_in(client, ours.emails["accountant"])

    first = _get(client, "/factures/titres")
    assert "1 000 titres" in first and "1–50 sur 1 000 titres" in first and "TR-EUX" not in first
    second = _get(client, "/factures/titres?page=2")
    assert "TR-NOUS-00050" in second and "TR-NOUS-00049" not in second
    assert "200 titres" in _get(client, "/factures/titres?etat=solde")
    assert "800 titres" in _get(client, "/factures/titres?etat=du")
    assert "50 titres" in _get(client, f"/factures/titres?commune={ours.communes[3]}")
    assert "20 titres" in _get(client, "/factures/titres?q=f-nous-0007")
    assert "Aucun titre" in _get(client, f"/factures/titres?commune={theirs.communes[0]}")
    for odd in ("etat=perdu", "commune=abc", "annee=abc", "page=abc"):
        assert client.get(f"/factures/titres?{odd}").status_code == 200

    exported = client.get("/factures/titres.csv?etat=du").get_data(as_text=True).strip().splitlines()
    assert len(exported) == 1 + 800  # the header, then every filtered title, not one page
    assert not any("TR-EUX" in line for line in exported)
    assert client.get(f"/factures/titres.xlsx?commune={ours.communes[3]}").status_code == 200


def test_the_users_list_in_pages_filtered_by_role_state_and_words(app, client):
    with app.app_context():
        ours = factories.coordinator()
        theirs = factories.organisation(OrganisationKind.COORDINATOR, name="Autre groupement")
        admin = factories.user(Role.ADMIN, ours, name="Administratrice")
        group = factories.groupement(ours)
        for n in range(3):
            commune = factories.organisation(name=f"Commune {n}")
            factories.membership(group, commune)
            for k in range(40):
                factories.user(Role.AGENT, commune, name=f"Agent {n}-{k:02d}", active=k % 10 != 0)
        factories.user(Role.AGENT, theirs, name="Agent d'ailleurs")
        db.session.commit()
        email = admin.email
    log_in(client, email)

    first = _get(client, "/admin/utilisateurs")
    assert "121 comptes" in first and "1–50 sur 121 comptes" in first and "ailleurs" not in first
    assert "51–100 sur 121" in _get(client, "/admin/utilisateurs?page=2")
    assert "12 comptes" in _get(client, "/admin/utilisateurs?etat=desactive")
    assert "120 comptes" in _get(client, "/admin/utilisateurs?role=agent")
    assert "1 compte" in _get(client, "/admin/utilisateurs?q=agent+1-07")
    for odd in ("role=roi", "etat=peut-etre", "organisation=abc"):
        assert "121 comptes" in _get(client, f"/admin/utilisateurs?{odd}")


def test_the_finished_campaigns_in_pages_filtered_by_year_and_state(app, client):
    with app.app_context():
        ours = factories.coordinator()
        coordinator = factories.user(Role.COORDINATOR, ours)
        group = factories.groupement(ours)
        commune = factories.organisation(name="Commune membre")
        factories.membership(group, commune)
        agent = factories.user(Role.AGENT, commune)
        item = factories.item()
        past = utcnow() - timedelta(days=400)
        for n in range(70):
            factories.campaign(
                group,
                [item],
                title=f"Campagne {n:02d}",
                year=2020 + n % 5,
                status=CampaignStatus.ARCHIVED if n % 2 else CampaignStatus.AGGREGATED,
                opens_at=past - timedelta(days=n + 30),
                closes_at=past - timedelta(days=n),
            )
        factories.campaign(group, [item], title="Campagne ouverte")
        theirs = factories.organisation(OrganisationKind.COORDINATOR, name="Autre groupement")
        factories.campaign(factories.groupement(theirs), [item], title="Campagne d'ailleurs", year=2021)
        db.session.commit()
        emails = coordinator.email, agent.email
    for email in emails:
        client = app.test_client()
        log_in(client, email)
        first = _get(client, "/campagnes")
        assert "71 campagnes" in first and "Campagne ouverte" in first and "1–50 sur 70 campagnes terminées" in first
        assert "ailleurs" not in first
        second = _get(client, "/campagnes?page=2")
        assert "51–70 sur 70" in second and "Campagne 69" in second and "Campagne 00" not in second
        assert "14 campagnes" in _get(client, "/campagnes?annee=2021")
        assert "35 campagnes" in _get(client, "/campagnes?etat=archived")
        assert "1 campagne" in _get(client, "/campagnes?q=ouverte")
        assert "71 campagnes" in _get(client, "/campagnes?etat=perdue&annee=abc")


def test_a_suppliers_received_orders_in_pages_filtered_by_receipt_and_delivery(app, client):
    ours, theirs = _world(app)
    with app.app_context():
        from groupement.tenders.models import Supplier

        email = factories.supplier_user(db.session.get(Supplier, ours.suppliers[0])).email
        db.session.commit()
    log_in(client, email)

    first = _get(client, "/espace-fournisseur/commandes")
    assert "334 bons de commande" in first and "1–50 sur 334 bons de commande" in first  # one order in three
    assert "BC-NOUS-00000" in first and "BC-NOUS-00001<" not in first and "BC-EUX" not in first
    assert "BC-NOUS-00150" in _get(client, "/espace-fournisseur/commandes?page=2")
    assert "334 bons de commande" in _get(client, "/espace-fournisseur/commandes?accuse=non")
    assert "Aucun bon de commande" in _get(client, "/espace-fournisseur/commandes?accuse=oui")
    assert "1 bon de commande" in _get(client, "/espace-fournisseur/commandes?q=bc-nous-00003")
    assert "334 bons de commande" in _get(client, "/espace-fournisseur/commandes?q=nous+commune")
    assert "334 bons de commande" in _get(client, "/espace-fournisseur/commandes?livraison=waiting&accuse=peut-etre")
    home = _get(client, "/espace-fournisseur")  # its tasks: the first twenty, then the filtered list
    assert home.count('data-kind="acknowledge"') == 20 and "Les 334 bons à accuser reçu" in home


def test_a_suppliers_contracts_in_pages_and_its_home_counted_in_sql(app, client):
    ours, _ = _world(app)
    with app.app_context():
        from groupement.suppliers.models import OrderAcknowledgment
        from groupement.tenders.models import Supplier

        email = factories.supplier_user(db.session.get(Supplier, ours.suppliers[0])).email
        theirs_orders = select(Order.id).join(Contract, Contract.id == Order.contract_id)
        acknowledged = db.session.scalars(
            theirs_orders.where(Contract.supplier_id == ours.suppliers[0]).order_by(Order.id).limit(30)
        ).all()
        db.session.execute(insert(OrderAcknowledgment), [dict(order_id=order_id) for order_id in acknowledged])
        db.session.commit()
    log_in(client, email)

    first = _get(client, "/espace-fournisseur/marches")  # one contract in three: 334
    assert "334 marchés attribués" in first and "1–50 sur 334 marchés" in first
    assert "NOUS-0000<" in first and "NOUS-0147<" in first and "NOUS-0150<" not in first and "NOUS-0001<" not in first
    assert first.count("120,00 €") == 50  # each contract's one order, summed in SQL
    second = _get(client, "/espace-fournisseur/marches?page=2")
    assert "51–100 sur 334" in second and "NOUS-0150<" in second and "EUX-" not in second
    assert "0 sur 334" in _get(client, "/espace-fournisseur/marches?page=9")

    home = _get(client, "/espace-fournisseur")  # the latest twenty of each task, the counts of all
    assert "334 marchés attribués" in home
    assert home.count('data-kind="acknowledge"') == 20 and "Les 304 bons à accuser reçu" in home
    assert home.count('data-kind="deliver"') == 20 and "Les 30 bons dont la livraison est à déclarer" in home


def test_a_thousand_member_communes_in_pages_searched_and_exported_whole(app, client):
    with app.app_context():
        ours = factories.coordinator()
        theirs = factories.organisation(OrganisationKind.COORDINATOR, name="Autre groupement")
        coordinator = factories.user(Role.COORDINATOR, ours)
        group = factories.groupement(ours)
        for n in range(LARGE):
            factories.membership(group, factories.organisation(name=f"Commune {n:04d}", population=100_000 - n))
        factories.membership(factories.groupement(theirs), factories.organisation(name="Commune d'ailleurs"))
        db.session.commit()
        email = coordinator.email
    log_in(client, email)

    first = _get(client, "/organisations")
    assert "1 001 organisations" in first and "1–50 sur 1 001 organisations" in first and "ailleurs" not in first
    assert "Commune 0049" in _get(client, "/organisations?page=2") and "Commune 0050" not in first
    assert "1 000 organisations" in _get(client, "/organisations?type=commune")
    # "0042" may also be in another organisation's SIREN or INSEE code (the factories number them
    # across the whole run): the search keeps Commune 0042 and drops its neighbours.
    found = _get(client, "/organisations?q=commune+0042")
    assert "Commune 0042" in found and "Commune 0041" not in found and "Commune 0043" not in found
    assert "1 001 organisations" in _get(client, "/organisations?type=roi")
    exported = client.get("/organisations/export.xlsx?type=commune")
    assert exported.status_code == 200
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(exported.data), read_only=True).active
    assert sum(1 for _ in sheet.iter_rows(min_row=2)) == LARGE  # every filtered commune, not one page


def test_the_contracts_open_to_orders_in_pages_for_the_coordinator_and_the_commune(app, client):
    ours, theirs = _world(app)
    log_in(client, ours.emails["coordinator"])
    first = _get(client, "/commandes/marches")
    assert "1 000 marchés" in first and "1–50 sur 1 000 marchés" in first and "EUX-" not in first
    assert "51–100 sur 1 000" in _get(client, "/commandes/marches?page=2")
    assert "334 marchés" in _get(client, "/commandes/marches?q=energie")
    assert "1 000 marchés" in _get(client, "/commandes/marches?famille=informatique")
    assert "Aucun marché" in _get(client, "/commandes/marches?famille=vehicules")
    assert "1 000 marchés" in _get(client, "/commandes/marches?famille=fusees")

    agent = app.test_client()
    log_in(agent, ours.emails["agent"])
    own = _get(agent, "/commandes/marches")
    assert "1 000 marchés" in own and "1–50 sur 1 000 marchés" in own and own.count(">Commander</a>") <= 50
    assert "951–1 000 sur 1 000" in _get(agent, "/commandes/marches?page=20")


def test_mes_travaux_is_in_the_menu_of_the_roles_that_start_jobs_only(app, client):
    ours, _ = _world(app, size=3)
    # A commune agent starts jobs too: a large needs file is checked and applied by one
    # (campaigns/needs_import_job.py), so « Mes travaux » is in its menu as well.
    expected = {"coordinator": True, "accountant": True, "admin": True, "agent": True, "signatory": False}
    for role, shown in expected.items():
        browser = app.test_client()
        log_in(browser, ours.emails[role])
        menu = _get(browser, "/").split('aria-label="Navigation principale"')[1].split("</nav>")[0]
        assert ('href="/travaux"' in menu) is shown, role


def test_a_communes_ledger_shows_its_titles_in_pages_of_their_own(app, client):
    ours, theirs = _world(app)
    log_in(client, ours.emails["agent"])
    first = _get(client, "/ma-commune/factures?par_page=20")
    assert "1–20 sur 50 titres" in first and "TR-NOUS-00000" in first and "TR-NOUS-00001<" not in first
    assert "page_titres=2" in first and "par_page=20" in first  # the link keeps the validated size
    second = _get(client, "/ma-commune/factures?par_page=20&page_titres=2")
    assert "21–40 sur 50 titres" in second and "TR-NOUS-00400" in second and "TR-NOUS-00380" not in second

    accountant = app.test_client()
    log_in(accountant, ours.emails["accountant"])
    ledger = _get(accountant, f"/communes/{ours.communes[0]}/grand-livre?page_titres=3&par_page=20")
    assert "41–50 sur 50 titres" in ledger
    assert accountant.get(f"/communes/{theirs.communes[0]}/grand-livre").status_code == 404


def test_the_decp_page_lists_a_thousand_incomplete_contracts_in_pages(app, client):
    from groupement.core.timeutil import paris_today

    ours, _ = _world(app)
    with app.app_context():  # those notified by today, each of 100 000 € HT (above the threshold)
        due = len([c for c in ours.contracts if db.session.get(Contract, c).notified_on <= paris_today()])
    log_in(client, ours.emails["coordinator"])
    first = _get(client, "/donnees-essentielles")
    assert due > 100 and f"Marchés à publier ({_flat(number(due))})" in first
    assert f"1–50 sur {_flat(number(due))} marchés à publier" in first
    assert f"Montant maximum total : {_flat(number(due * 100_000))},00 € HT" in first  # every page's, in SQL
    assert first.count("incomplet, non exporté") == 50 and "EUX-" not in first
    second = _get(client, "/donnees-essentielles?page=2")
    assert f"51–100 sur {_flat(number(due))}" in second
    oldest = re.findall(r'<th scope="row">(NOUS-\d+)</th>', first)
    assert set(oldest).isdisjoint(re.findall(r'<th scope="row">(NOUS-\d+)</th>', second)) and len(oldest) == 50
