"""the rejection letters' sending per lot, which starts the standstill period

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 15:40:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rejection_sending",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("electronic", sa.Boolean(), nullable=False),
        sa.Column("standstill_required", sa.Boolean(), nullable=False),
        sa.Column("standstill_days", sa.Integer(), nullable=False),
        sa.Column("standstill_last_day", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"]),
        sa.ForeignKeyConstraint(["offer_id"], ["offer.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lot_id"),
    )


def downgrade():
    op.drop_table("rejection_sending")
