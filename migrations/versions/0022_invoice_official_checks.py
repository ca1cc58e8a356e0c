"""each imported invoice's official EN 16931 check (CEN / Factur-X schematron) and its findings

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 20:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "invoice_official_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("artefact", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("passed", sa.Text(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_id"),
    )
    op.create_table(
        "invoice_official_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=60), nullable=False),
        sa.Column("fatal", sa.Boolean(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["check_id"], ["invoice_official_check.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_invoice_official_finding_check_id", "invoice_official_finding", ["check_id"])


def downgrade():
    op.drop_index("ix_invoice_official_finding_check_id", table_name="invoice_official_finding")
    op.drop_table("invoice_official_finding")
    op.drop_table("invoice_official_check")
