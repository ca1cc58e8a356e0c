"""Chorus Pro references and batch intake: the buyer reference (BT-10) an invoice carries, and
the batches of invoices (a zip or a folder) imported by a job, with their report

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 20:45:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invoice") as batch:
        batch.add_column(sa.Column("buyer_reference", sa.String(length=100), nullable=True))
    op.create_table(
        "invoice_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coordinator_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["coordinator_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_invoice_batch_coordinator_id", "invoice_batch", ["coordinator_id"])


def downgrade():
    op.drop_index("ix_invoice_batch_coordinator_id", "invoice_batch")
    op.drop_table("invoice_batch")
    with op.batch_alter_table("invoice") as batch:
        batch.drop_column("buyer_reference")
