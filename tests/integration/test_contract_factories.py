"""The contract factories build the state later tests start from: keep them honest."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from groupement.campaigns.rules import SubmissionStatus
from groupement.core.access import Role, system_actor
from groupement.core.timeutil import utcnow
from groupement.lots.campaign_aggregation import aggregate_campaign
from groupement.lots.models import Lot
from groupement.lots.rules import LotStatus


def test_an_awarded_lot_has_a_contract_priced_from_its_offer(make, database):
    capi = make.coordinator()
    group = make.groupement(capi)
    commune = make.organisation()
    make.membership(group, commune)
    laptop = make.item(unit_price_ht=Decimal("849.00"), eco_participation=Decimal("1.00"))
    now = utcnow()
    campaign = make.campaign(group, [laptop], opens_at=now - timedelta(days=5), closes_at=now - timedelta(days=1))
    make.submission(campaign, commune, {laptop: 10}, status=SubmissionStatus.VALIDATED)
    make.user(Role.COORDINATOR, capi)
    database.session.commit()
    aggregate_campaign(system_actor(campaign.groupement.coordinator_id), campaign.id)
    lot = database.session.scalars(select(Lot)).one()
    offer = make.offer(lot, make.supplier())
    assert offer.total_ht == Decimal("7651.00")  # 10 × (764,10 + 1,00)
    contract = make.contract(offer)
    assert lot.status is LotStatus.AWARDED
    assert [(p.unit_price, p.item_id) for p in contract.prices] == [(Decimal("764.10"), laptop.id)]
