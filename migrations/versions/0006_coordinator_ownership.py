"""coordinator ownership of suppliers and invoices

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 08:30:00.000000

Each supplier and each invoice now belongs to one coordinator (scope by construction, DESIGN.md
§3.4). Existing rows are given one:
- a supplier: the coordinator of the groupement of the lot of one of its offers or contracts
  (the smallest such coordinator id), else the first coordinator organisation;
- an invoice: the coordinator of its supplier, else the first coordinator organisation.
The SIRET of a supplier becomes unique per coordinator, and an invoice's (seller, number)
likewise.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FIRST_COORDINATOR = "(SELECT MIN(organisation.id) FROM organisation WHERE organisation.kind = 'coordinator')"
SUPPLIER_FROM_ITS_LOTS = """
UPDATE supplier SET coordinator_id = (
    SELECT MIN(groupement.coordinator_id)
    FROM groupement
    JOIN campaign ON campaign.groupement_id = groupement.id
    JOIN lot ON lot.campaign_id = campaign.id
    WHERE lot.id IN (
        SELECT offer.lot_id FROM offer WHERE offer.supplier_id = supplier.id
        UNION SELECT contract.lot_id FROM contract WHERE contract.supplier_id = supplier.id
    )
)
"""
INVOICE_FROM_ITS_SUPPLIER = """
UPDATE invoice SET coordinator_id = (
    SELECT supplier.coordinator_id FROM supplier WHERE supplier.id = invoice.supplier_id
)
"""


def upgrade():
    with op.batch_alter_table("supplier", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coordinator_id", sa.Integer(), nullable=True))
    op.execute(SUPPLIER_FROM_ITS_LOTS)
    op.execute(f"UPDATE supplier SET coordinator_id = {FIRST_COORDINATOR} WHERE coordinator_id IS NULL")
    with op.batch_alter_table("supplier", schema=None) as batch_op:
        batch_op.alter_column("coordinator_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f("ix_supplier_coordinator_id"), ["coordinator_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_supplier_coordinator_id_organisation"), "organisation", ["coordinator_id"], ["id"]
        )
        batch_op.drop_constraint(batch_op.f("uq_supplier_siret"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_supplier_coordinator_id_siret"), ["coordinator_id", "siret"])

    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coordinator_id", sa.Integer(), nullable=True))
    op.execute(INVOICE_FROM_ITS_SUPPLIER)
    op.execute(f"UPDATE invoice SET coordinator_id = {FIRST_COORDINATOR} WHERE coordinator_id IS NULL")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.alter_column("coordinator_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f("ix_invoice_coordinator_id"), ["coordinator_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_invoice_coordinator_id_organisation"), "organisation", ["coordinator_id"], ["id"]
        )
        batch_op.drop_constraint(batch_op.f("uq_invoice_seller_key_number"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_invoice_coordinator_id_seller_key_number"), ["coordinator_id", "seller_key", "number"]
        )


def downgrade():
    # Going down merges the coordinators' files again: it fails (unique constraint) if two
    # coordinators hold the same SIRET or the same invoice, rather than silently dropping one.
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_invoice_coordinator_id_seller_key_number"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_invoice_seller_key_number"), ["seller_key", "number"])
        batch_op.drop_constraint(batch_op.f("fk_invoice_coordinator_id_organisation"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_invoice_coordinator_id"))
        batch_op.drop_column("coordinator_id")

    with op.batch_alter_table("supplier", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_supplier_coordinator_id_siret"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_supplier_siret"), ["siret"])
        batch_op.drop_constraint(batch_op.f("fk_supplier_coordinator_id_organisation"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_supplier_coordinator_id"))
        batch_op.drop_column("coordinator_id")
