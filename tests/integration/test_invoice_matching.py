from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from groupement.campaigns.rules import SubmissionStatus
from groupement.contracts.orders import place_order, record_delivery
from groupement.core.access import Role, system_actor
from groupement.core.timeutil import paris_today, utcnow
from groupement.invoices.importing import import_invoice
from groupement.invoices.matching import match_invoice
from groupement.invoices.service_fait import certify_delivery
from groupement.lots.campaign_aggregation import aggregate_campaign
from groupement.lots.models import Lot


def test_matching_flags_quantities_beyond_the_order_and_beyond_what_was_delivered(make, database):
    capi = make.coordinator()
    group = make.groupement(capi)
    commune = make.organisation(insee_code="38172", name="Four")
    make.membership(group, commune)
    laptop = make.item(ref="INF-PORT", unit_price_ht=Decimal("849.00"), eco_participation=Decimal("0"))
    now = utcnow()
    campaign = make.campaign(group, [laptop], opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=1))
    make.submission(campaign, commune, {laptop: 10}, status=SubmissionStatus.VALIDATED)
    agent = make.user(Role.AGENT, commune).actor
    accountant = make.user(Role.ACCOUNTANT, capi).actor
    database.session.commit()
    aggregate_campaign(system_actor(campaign.groupement.coordinator_id), campaign.id)
    lot = database.session.scalars(select(Lot)).one()
    lot.maximum_amount = Decimal("100000")
    contract = make.contract(
        make.offer(lot, make.supplier()),
        start_date=paris_today() - timedelta(days=5),
        notified_on=paris_today() - timedelta(days=6),
    )
    database.session.commit()
    order = place_order(agent, contract.id, [(contract.prices[0].id, 5)], "Mairie de Four")
    certify_delivery(agent, record_delivery(agent, order.lines[0].id, paris_today(), 2).id)
    price = contract.prices[0].unit_price

    def invoice(number: str, quantity: int):
        csv = (
            "numero_facture;date_facture;fournisseur_siret;numero_commande;code_insee;ref_article;designation;"
            f"quantite;prix_unitaire_ht;taux_tva\n{number};{paris_today().isoformat()};{contract.supplier.siret};"
            f"{order.number};38172;INF-PORT;Portable;{quantity};{price};20\n"
        )
        imported = import_invoice(accountant, f"{number}.csv", csv.encode())
        match_invoice(accountant, imported.id)
        return {c.rule for c in imported.checks if c.kind == "contract" and not c.ok}

    assert invoice("F-1", 2) == set()  # ordered 5, delivered 2
    assert invoice("F-2", 1) == {"SERVICE-FAIT"}  # 3 invoiced, 2 delivered
    assert invoice("F-3", 4) == {"QUANTITE"}  # 3 + 4 invoiced, 5 ordered
