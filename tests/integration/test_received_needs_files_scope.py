"""A large needs file awaiting its check is read only by the agent who sent it, in its commune and
campaign (campaigns/scope.received_needs_files): never by a colleague, another commune, the
coordinator or a supplier."""

from __future__ import annotations

from groupement.campaigns import scope
from groupement.campaigns.models import ReceivedNeedsFile
from groupement.campaigns.rules import CampaignStatus
from groupement.core.access import Role
from groupement.extensions import db
from tests import factories


def _received(campaign, commune, user) -> ReceivedNeedsFile:
    row = ReceivedNeedsFile(
        campaign_id=campaign.id, commune_id=commune.id, created_by_id=user.id, file_name="besoins.xlsx", digest="0" * 64
    )
    row.content = b"PK"
    db.session.add(row)
    db.session.flush()
    return row


def test_only_the_agent_who_sent_the_file_reads_it(database):
    capi = factories.coordinator()
    commune_a, commune_b = factories.organisation(name="Commune A"), factories.organisation(name="Commune B")
    group = factories.groupement(capi)
    factories.membership(group, commune_a)
    factories.membership(group, commune_b)
    campaign = factories.campaign(group, [factories.item()], status=CampaignStatus.OPEN)
    other_campaign = factories.campaign(group, [factories.item()], status=CampaignStatus.OPEN)
    agent_a, colleague_a = factories.user(Role.AGENT, commune_a), factories.user(Role.AGENT, commune_a)
    agent_b = factories.user(Role.AGENT, commune_b)
    mine = _received(campaign, commune_a, agent_a)
    _received(campaign, commune_a, colleague_a)
    _received(campaign, commune_b, agent_b)
    _received(other_campaign, commune_a, agent_a)

    def seen_by(user) -> list[int]:
        return list(
            db.session.scalars(
                scope.received_needs_files(user.actor, campaign.id).with_only_columns(ReceivedNeedsFile.id)
            )
        )

    assert seen_by(agent_a) == [mine.id]
    assert mine.id not in seen_by(colleague_a) and len(seen_by(colleague_a)) == 1
    assert mine.id not in seen_by(agent_b)
    assert seen_by(factories.user(Role.COORDINATOR, capi)) == []
    assert seen_by(factories.user(Role.ADMIN, capi)) == []
