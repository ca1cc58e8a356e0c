"""invoice controls: normalised number (duplicates), rejection, match time, service fait,
allocation lines traced to their order line and contract price

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 14:40:00
"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

OLD_STATUSES = ("imported", "checked", "disputed", "split", "recovered", "settled")
NEW_STATUSES = ("rejected", *OLD_STATUSES)


def invoice_status(values):
    return sa.Enum(*values, name="invoicestatus", native_enum=False, length=20, create_constraint=True)


def number_key(number: str) -> str:
    """As groupement.invoices.rules.normalise_invoice_number at the time of this migration."""
    return re.sub(r"[\s\-_/.\\]+", "", number).casefold().upper()


def upgrade():
    op.create_table(
        "service_fait",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("certified_at", sa.DateTime(), nullable=False),
        sa.Column("certified_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["certified_by_id"], ["user_account.id"], name=op.f("fk_service_fait_certified_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["commune_id"], ["organisation.id"], name=op.f("fk_service_fait_commune_id_organisation")),
        sa.ForeignKeyConstraint(["delivery_id"], ["delivery.id"], name=op.f("fk_service_fait_delivery_id_delivery")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_fait")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_service_fait_delivery_id")),
    )
    with op.batch_alter_table("service_fait", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_fait_commune_id"), ["commune_id"], unique=False)

    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number_key", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("matched_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("rejection_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("rejected_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("rejected_at", sa.DateTime(), nullable=True))
    invoice = sa.table("invoice", sa.column("id", sa.Integer()), sa.column("number", sa.String()))
    connection = op.get_bind()
    for invoice_id, number in connection.execute(sa.select(invoice.c.id, invoice.c.number)).all():
        connection.execute(
            sa.text("UPDATE invoice SET number_key = :key WHERE id = :id"), {"key": number_key(number), "id": invoice_id}
        )
    # An invoice matched before this revision had its contract checks: it counts as matched.
    op.execute(
        "UPDATE invoice SET matched_at = imported_at WHERE status <> 'imported' "
        "OR id IN (SELECT invoice_id FROM invoice_check WHERE kind = 'contract')"
    )
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.alter_column("number_key", existing_type=sa.String(length=60), nullable=False)
        batch_op.alter_column("rejection_reason", existing_type=sa.Text(), server_default=None)
        batch_op.alter_column(
            "status", existing_type=invoice_status(OLD_STATUSES), type_=invoice_status(NEW_STATUSES), existing_nullable=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_invoice_rejected_by_id_user_account"), "user_account", ["rejected_by_id"], ["id"]
        )
        batch_op.drop_constraint(batch_op.f("uq_invoice_coordinator_id_seller_key_number"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_invoice_coordinator_id_seller_key_number_key"), ["coordinator_id", "seller_key", "number_key"]
        )

    with op.batch_alter_table("allocation_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_line_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("contract_price_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("quantity", sa.Numeric(precision=14, scale=4), nullable=True))
        batch_op.add_column(sa.Column("unit_price", sa.Numeric(precision=14, scale=4), nullable=True))
        batch_op.create_index(batch_op.f("ix_allocation_line_order_line_id"), ["order_line_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_allocation_line_order_line_id_order_line"), "order_line", ["order_line_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_allocation_line_contract_price_id_contract_price"),
            "contract_price",
            ["contract_price_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("allocation_line", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_allocation_line_contract_price_id_contract_price"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_allocation_line_order_line_id_order_line"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_allocation_line_order_line_id"))
        batch_op.drop_column("unit_price")
        batch_op.drop_column("quantity")
        batch_op.drop_column("contract_price_id")
        batch_op.drop_column("order_line_id")

    # Going down fails (check constraint) while an invoice is rejected, and (unique constraint) if
    # two stored numbers differ only by case or separators, rather than silently dropping one.
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_invoice_coordinator_id_seller_key_number_key"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_invoice_coordinator_id_seller_key_number"), ["coordinator_id", "seller_key", "number"]
        )
        batch_op.drop_constraint(batch_op.f("fk_invoice_rejected_by_id_user_account"), type_="foreignkey")
        batch_op.alter_column(
            "status", existing_type=invoice_status(NEW_STATUSES), type_=invoice_status(OLD_STATUSES), existing_nullable=False
        )
        batch_op.drop_column("rejected_at")
        batch_op.drop_column("rejected_by_id")
        batch_op.drop_column("rejection_reason")
        batch_op.drop_column("matched_at")
        batch_op.drop_column("number_key")

    with op.batch_alter_table("service_fait", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_fait_commune_id"))
    op.drop_table("service_fait")
