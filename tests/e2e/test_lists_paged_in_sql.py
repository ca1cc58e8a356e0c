"""Lists that page in SQL (issue 14): a commune's ledger, the supplier's home and contracts, the
DECP page, the consumption page and a lot's offers load one page of rows, their counts and totals
computed by the database over every row; each page stays under 300 KB at a thousand rows, page 2
shows the next ones, and another coordinator's rows never appear."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from groupement.core.access import OrganisationKind, Role
from groupement.core.search_text import search_key
from groupement.extensions import db
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.models import Allocation, Invoice, Payment, RecoveryTitle
from groupement.invoices.states import InvoiceKind, InvoiceStatus
from groupement.invoices.title_rules import TitleKind, TitleStatus
from tests import factories
from tests.conftest import log_in

MAX_PAGE_BYTES = 300_000
INVOICES = 1000


def _flat(html: str) -> str:
    return " ".join(html.replace("\u202f", " ").replace("\xa0", " ").split())


def _get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    assert len(response.data) < MAX_PAGE_BYTES, f"{url}: {len(response.data)} octets"
    return _flat(response.get_data(as_text=True))


def _ledger_world(app, count: int = INVOICES) -> dict:
    """One commune with `count` invoice shares of 12,34 € TTC (oldest first); every third titled
    (12,34 €), one titled share in four of those paid 5,01 €; a second coordinator's commune."""
    with app.app_context():
        ours = factories.coordinator()
        theirs = factories.organisation(OrganisationKind.COORDINATOR, name="Autre groupement")
        commune = factories.organisation(name="Commune du grand livre")
        other = factories.organisation(name="Commune d'ailleurs")
        factories.membership(factories.groupement(ours), commune)
        factories.membership(factories.groupement(theirs, name="Autre groupement de commandes"), other)
        accountant = factories.user(Role.ACCOUNTANT, ours)
        agent = factories.user(Role.AGENT, commune)

        def invoices(coordinator_id: int, prefix: str, n: int) -> list[int]:
            rows = [
                dict(
                    coordinator_id=coordinator_id,
                    number=f"F-{prefix}-{i:05d}",
                    number_key=f"F{prefix}{i:05d}",
                    kind=InvoiceKind.INVOICE,
                    type_code="380",
                    status=InvoiceStatus.RECOVERED,
                    issue_date=date(2025, 1, 1) + timedelta(days=i),
                    currency="EUR",
                    seller_key="vendeur",
                    seller_name="Vendeur",
                    source_format="ubl",
                    file_name=f"{prefix}{i}.xml",
                    total_ht=Decimal("10.28"),
                    total_vat=Decimal("2.06"),
                    total_ttc=Decimal("12.34"),
                    search_key=search_key(f"F-{prefix}-{i:05d}", "Vendeur"),  # a bulk insert runs no mapper event
                )
                for i in range(n)
            ]
            db.session.execute(insert(Invoice), rows)
            return db.session.scalars(
                select(Invoice.id).where(Invoice.coordinator_id == coordinator_id).order_by(Invoice.number)
            ).all()

        ours_ids, theirs_ids = invoices(ours.id, "NOUS", count), invoices(theirs.id, "EUX", 30)
        shares = [(i, commune.id) for i in ours_ids] + [(i, other.id) for i in theirs_ids]
        db.session.execute(
            insert(Allocation),
            [
                dict(
                    invoice_id=invoice_id,
                    commune_id=commune_id,
                    allocation_key=AllocationKey.EQUAL,
                    ht=Decimal("10.28"),
                    vat=Decimal("2.06"),
                    ttc=Decimal("12.34"),
                )
                for invoice_id, commune_id in shares
            ],
        )
        titled = ours_ids[::3]
        db.session.execute(
            insert(RecoveryTitle),
            [
                dict(
                    coordinator_id=ours.id,
                    number=f"TR-NOUS-{n:05d}",
                    kind=TitleKind.TITLE,
                    status=TitleStatus.ISSUED,
                    invoice_id=invoice_id,
                    commune_id=commune.id,
                    object="Part de la facture",
                    amount_ttc=Decimal("12.34"),
                    paid_total=Decimal("5.01") if n % 4 == 0 else Decimal("0.00"),
                    account="2183",
                    due_date=date(2026, 7, 1),
                )
                for n, invoice_id in enumerate(titled)
            ],
        )
        paid_titles = db.session.scalars(
            select(RecoveryTitle.id).where(RecoveryTitle.paid_total > 0).order_by(RecoveryTitle.number)
        ).all()
        db.session.execute(
            insert(Payment),
            [
                dict(
                    title_id=t, paid_on=date(2026, 8, 1) + timedelta(days=n), amount=Decimal("5.01"), reference=f"P{n}"
                )
                for n, t in enumerate(paid_titles)
            ],
        )
        db.session.commit()
        return dict(
            commune=commune.id,
            other=other.id,
            accountant=accountant.email,
            agent=agent.email,
            titled=len(titled),
            paid=len(paid_titles),
        )


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _euros(amount: Decimal) -> str:
    whole, cents = f"{amount:.2f}".split(".")
    groups = f"{int(whole):,}".replace(",", " ")
    return f"{groups},{cents} €"


def test_a_communes_ledger_pages_its_thousand_invoices_and_totals_them_all(app, client):
    world = _ledger_world(app)
    log_in(client, world["accountant"])
    url = f"/communes/{world['commune']}/grand-livre"
    first = _get(client, url)
    assert f"1–50 sur {INVOICES:,} factures".replace(",", " ") in first
    assert "F-NOUS-00000" in first and "F-NOUS-00049" in first and "F-NOUS-00050" not in first
    assert "F-EUX" not in first
    allocated = Decimal("12.34") * INVOICES
    titled = Decimal("12.34") * world["titled"]
    paid = Decimal("5.01") * world["paid"]
    # the totals are every page's, on the first page as on the last
    for page in (first, _get(client, f"{url}?page=20")):
        totals = f"Total (toutes les pages) {_euros(allocated)} {_euros(titled)} {_euros(paid)} {_euros(titled - paid)}"
        assert totals in _text(page)
        assert f"À titrer : {_euros(allocated - titled)}" in page
    second = _get(client, f"{url}?page=2")
    assert "51–100 sur" in second and "F-NOUS-00050" in second and "F-NOUS-00049" not in second
    titles = _get(client, f"{url}?page_titres=2&par_page=20")
    assert (
        f"21–40 sur {world['titled']} titres" in titles and "TR-NOUS-00020" in titles and "TR-NOUS-00019<" not in titles
    )
    payments = _get(client, f"{url}?page_encaissements=2&par_page=20")
    assert f"21–40 sur {world['paid']} encaissements" in payments
    assert client.get(f"/communes/{world['other']}/grand-livre").status_code == 404

    agent = app.test_client()
    log_in(agent, world["agent"])
    own = _get(agent, "/ma-commune/factures?page=20")
    assert "951–1 000 sur 1 000 factures" in own and "F-NOUS-00999" in own
    assert "0 sur 1 000" in _get(agent, "/ma-commune/factures?page=99")  # past the end: an empty page


def test_a_lots_offers_in_pages_by_supplier_with_their_count(app, client_as, world):
    """120 bidders on the awarded lot (the e2e world's, already one offer): pages of 50, by name."""
    from groupement.tenders.models import Offer, Supplier
    from groupement.tenders.rules import OfferSource

    lot_id = world.ids["contract_lot"]
    with app.app_context():
        coordinator_id = db.session.get(Supplier, world.ids["supplier"]).coordinator_id
        db.session.execute(
            insert(Supplier),
            [
                dict(
                    coordinator_id=coordinator_id,
                    name=f"Soumissionnaire {n:03d}",
                    siret=f"{90000000000000 + n}",
                    search_key=f"soumissionnaire {n:03d}",  # a bulk insert runs no mapper event
                )
                for n in range(120)
            ],
        )
        bidders = db.session.scalars(select(Supplier.id).where(Supplier.name.like("Soumissionnaire%"))).all()
        db.session.execute(
            insert(Offer),
            [dict(lot_id=lot_id, supplier_id=s, source=OfferSource.FILE, total_ht=Decimal("900.00")) for s in bidders],
        )
        db.session.commit()
    coordinator = client_as("coordinator")
    first = _get(coordinator, f"/lots/{lot_id}/offres")
    assert "121 offres reçues" in first and "1–50 sur 121 offres" in first
    # by name, accent-blind: « Informatique Dauphiné » first, then the bidders 000 to 048
    assert "Informatique Dauphiné" in first and "Soumissionnaire 048" in first and "Soumissionnaire 049" not in first
    last = _get(coordinator, f"/lots/{lot_id}/offres?page=3")
    assert "101–121 sur 121 offres" in last and "Soumissionnaire 119" in last and "Soumissionnaire 098" not in last
    assert "#offres" in first  # the pager's links come back to the list


def test_the_consumption_page_of_a_thousand_member_communes_in_pages(app, client_as, world):
    """A thousand more communes with a validated need of 2 laptops on the world's contract."""
    from groupement.contracts.models import ContractPrice
    from groupement.contracts.order_rules import line_amount
    from groupement.lots.models import LotLine, LotLineShare
    from groupement.organisations.models import Organisation

    contract_id = world.ids["contract"]
    with app.app_context():
        db.session.execute(
            insert(Organisation),
            [
                dict(
                    kind=OrganisationKind.COMMUNE,
                    name=f"Commune {n:04d}",
                    siren=f"{300000000 + n}",
                    search_key=f"commune {n:04d}",  # a bulk insert runs no mapper event
                )
                for n in range(INVOICES)
            ],
        )
        communes = db.session.scalars(select(Organisation.id).where(Organisation.name.like("Commune 0%"))).all()
        price = db.session.scalars(
            select(ContractPrice).where(ContractPrice.contract_id == contract_id).order_by(ContractPrice.id)
        ).first()
        laptop_line = db.session.get(LotLine, price.lot_line_id)
        db.session.execute(
            insert(LotLineShare),
            [dict(lot_line_id=laptop_line.id, commune_id=c, quantity=2) for c in communes],
        )
        need = line_amount(2, price.unit_price, price.eco_participation)
        db.session.commit()
    coordinator = client_as("coordinator")
    url = f"/contrats/{contract_id}/consommation"
    first = _get(coordinator, url)
    assert "1–50 sur 1 002 communes" in first and "Commune 0000" in first and "Commune 0049" in first
    assert "Commune 0050" not in first and '<th scope="row">Commune A</th>' not in first
    row = _text(first).split("Commune 0007 ")[1]
    assert row.startswith(f"{_euros(need)} 0,00 € 0 % 0 ")  # its need at the contract's price, nothing ordered
    last = _get(coordinator, f"{url}?page=21")
    assert "1 001–1 002 sur 1 002 communes" in last
    assert '<th scope="row">Commune A</th>' in last and '<th scope="row">Commune B</th>' in last
    assert "Commune 0999" not in last
    assert "1 bon de commande" in _text(last)  # the contract's orders, in pages of their own
