"""The contract's nature: supplies, services or works (the amendments' limits: 15 % for works)

Revision ID: 0032
Revises: 0030
Create Date: 2026-12-03 06:10:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0032"
down_revision = "0030"
branch_labels = None
depends_on = None


def contract_nature():
    return sa.Enum(
        "fournitures", "services", "travaux",
        name="contractnature", native_enum=False, length=20, create_constraint=True,
    )  # fmt: skip


def upgrade():
    # Every contract so far is a supplies contract (IT, stationery, vehicles): the default says so.
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nature", contract_nature(), nullable=False, server_default="fournitures"))


def downgrade():
    with op.batch_alter_table("contract", schema=None) as batch_op:  # its CHECK first (SQLite copies it)
        batch_op.alter_column("nature", existing_type=contract_nature(), type_=sa.String(length=20), existing_nullable=False)
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_column("nature")
