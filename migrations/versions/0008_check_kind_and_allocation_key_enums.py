"""invoice checks' kind and allocations' key become enums (VARCHAR with a CHECK), values kept

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:40:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def check_kind():
    return sa.Enum(
        "arithmetic", "identity", "contract", name="checkkind", native_enum=False, length=20, create_constraint=True
    )


def allocation_key():
    return sa.Enum(
        "amount", "quantity", "population", "equal", "manual",
        name="allocationkey", native_enum=False, length=20, create_constraint=True,
    )  # fmt: skip


def upgrade():
    with op.batch_alter_table("invoice_check", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=20), type_=check_kind(), existing_nullable=False)
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.alter_column(
            "allocation_key", existing_type=sa.String(length=20), type_=allocation_key(), existing_nullable=False
        )


def downgrade():
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.alter_column(
            "allocation_key", existing_type=allocation_key(), type_=sa.String(length=20), existing_nullable=False
        )
    with op.batch_alter_table("invoice_check", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=check_kind(), type_=sa.String(length=20), existing_nullable=False)
