"""the last reminder sent to each commune of a campaign

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 20:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "campaign_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["commune_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["sent_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "commune_id"),
    )
    with op.batch_alter_table("campaign_reminder") as batch:
        batch.create_index(batch.f("ix_campaign_reminder_campaign_id"), ["campaign_id"], unique=False)


def downgrade():
    with op.batch_alter_table("campaign_reminder") as batch:
        batch.drop_index(batch.f("ix_campaign_reminder_campaign_id"))
    op.drop_table("campaign_reminder")
