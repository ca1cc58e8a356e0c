"""every EN 16931 document type: two more invoice kinds (self-billed, prepayment); the Factur-X
profile of an invoice and the prepayments it deducts (BT-113)

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-02 20:10:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None

OLD_KINDS = ("invoice", "credit_note", "corrective")
NEW_KINDS = OLD_KINDS + ("self_billed", "prepayment")


def _kind(values):
    return sa.Enum(*values, name="invoicekind", native_enum=False, create_constraint=True, length=20)


def _set_kinds(old, new):
    # As 0010 did for the invoice states: the batch alters the CHECK constraint on both engines.
    with op.batch_alter_table("invoice") as batch:
        batch.alter_column("kind", existing_type=_kind(old), type_=_kind(new), existing_nullable=False)


def upgrade():
    with op.batch_alter_table("invoice") as batch:
        batch.add_column(sa.Column("profile", sa.String(length=20), nullable=False, server_default=""))
        batch.add_column(sa.Column("prepaid", sa.Numeric(precision=14, scale=2), nullable=False, server_default="0"))
    with op.batch_alter_table("invoice") as batch:
        batch.alter_column("profile", server_default=None)
        batch.alter_column("prepaid", server_default=None)
    _set_kinds(OLD_KINDS, NEW_KINDS)


def downgrade():
    _set_kinds(NEW_KINDS, OLD_KINDS)
    with op.batch_alter_table("invoice") as batch:
        batch.drop_column("prepaid")
        batch.drop_column("profile")
