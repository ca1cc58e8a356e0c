"""Prepayments deducted (BT-113): a prepayment invoice points to the final invoice that deducts it

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03 06:10:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invoice") as batch:
        batch.add_column(sa.Column("deducted_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_invoice_deducted_by_id_invoice", "invoice", ["deducted_by_id"], ["id"])
        batch.create_index("ix_invoice_deducted_by_id", ["deducted_by_id"])


def downgrade():
    with op.batch_alter_table("invoice") as batch:
        batch.drop_index("ix_invoice_deducted_by_id")
        batch.drop_constraint("fk_invoice_deducted_by_id_invoice", type_="foreignkey")
        batch.drop_column("deducted_by_id")
