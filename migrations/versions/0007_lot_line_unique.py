"""one lot line per campaign and item; the lot's CCAG an enum; indexes the unique ones cover

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00

- lot_line: UNIQUE (campaign_id, item_id). LotLine already carries campaign_id (denormalised from
  its lot, NOT NULL, foreign key, set by the aggregation), so nothing to backfill; it is
  realigned on its lot's campaign first, in case a line ever drifted. The unique index leads with
  campaign_id, so the single-column ix_lot_line_campaign_id goes.
- lot_line_share: the unique (lot_line_id, commune_id) leads with lot_line_id, so the
  single-column ix_lot_line_share_lot_line_id goes.
- lot.ccag: VARCHAR(60) becomes the Ccag enum (VARCHAR(60) with a CHECK), values kept as written.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CCAG_VALUES = (
    "Travaux",
    "Maitrise d'œuvre",
    "Fournitures courantes et services",
    "Marchés industriels",
    "Prestations intellectuelles",
    "Techniques de l'information et de la communication",
    "Pas de CCAG",
)


def ccag_enum():
    return sa.Enum(*CCAG_VALUES, name="ccag", native_enum=False, length=60, create_constraint=True)


def upgrade():
    op.execute("UPDATE lot_line SET campaign_id = (SELECT lot.campaign_id FROM lot WHERE lot.id = lot_line.lot_id)")
    with op.batch_alter_table("lot_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lot_line_campaign_id"))
        batch_op.create_unique_constraint(batch_op.f("uq_lot_line_campaign_id_item_id"), ["campaign_id", "item_id"])
    with op.batch_alter_table("lot_line_share", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lot_line_share_lot_line_id"))
    with op.batch_alter_table("lot", schema=None) as batch_op:
        batch_op.alter_column("ccag", existing_type=sa.String(length=60), type_=ccag_enum(), existing_nullable=False)


def downgrade():
    with op.batch_alter_table("lot", schema=None) as batch_op:
        batch_op.alter_column("ccag", existing_type=ccag_enum(), type_=sa.String(length=60), existing_nullable=False)
    with op.batch_alter_table("lot_line_share", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lot_line_share_lot_line_id"), ["lot_line_id"], unique=False)
    with op.batch_alter_table("lot_line", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_lot_line_campaign_id_item_id"), type_="unique")
        batch_op.create_index(batch_op.f("ix_lot_line_campaign_id"), ["campaign_id"], unique=False)
