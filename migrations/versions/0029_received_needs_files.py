"""Large needs files checked by a job: the uploaded file kept until its check

Revision ID: 0029
Revises: 0027
Create Date: 2026-12-03 06:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "received_needs_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["commune_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_received_needs_file_campaign_id", "received_needs_file", ["campaign_id"])
    op.create_index("ix_received_needs_file_commune_id", "received_needs_file", ["commune_id"])


def downgrade():
    op.drop_index("ix_received_needs_file_commune_id", "received_needs_file")
    op.drop_index("ix_received_needs_file_campaign_id", "received_needs_file")
    op.drop_table("received_needs_file")
