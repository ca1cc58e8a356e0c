"""letterhead logo of the coordinator, Chorus Pro service code of a commune, engagement number of an order

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-02 15:40:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("organisation") as batch:
        batch.add_column(sa.Column("chorus_service_code", sa.String(length=100), nullable=False, server_default=""))
        batch.add_column(sa.Column("logo", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("logo_media_type", sa.String(length=20), nullable=True))
    with op.batch_alter_table("purchase_order") as batch:
        batch.add_column(sa.Column("engagement_number", sa.String(length=50), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("purchase_order") as batch:
        batch.drop_column("engagement_number")
    with op.batch_alter_table("organisation") as batch:
        batch.drop_column("logo_media_type")
        batch.drop_column("logo")
        batch.drop_column("chorus_service_code")
