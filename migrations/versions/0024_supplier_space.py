"""the supplier space: the supplier role, supplier users, order acknowledgments, declared
deliveries, the shop's baskets

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 20:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

ROLES = ("coordinator", "agent", "signatory", "accountant", "admin")


def _role(*values):
    return sa.Enum(*values, name="role", native_enum=False, create_constraint=True, length=20)


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column(
            "role", existing_type=_role(*ROLES), type_=_role(*ROLES, "supplier"), existing_nullable=False
        )
    op.create_table(
        "supplier_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("invited_at", sa.DateTime(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invited_by_id"], ["user_account.id"], name=op.f("fk_supplier_user_invited_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"], name=op.f("fk_supplier_user_supplier_id_supplier")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_supplier_user_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_user")),
        sa.UniqueConstraint("user_id", name=op.f("uq_supplier_user_user_id")),
    )
    with op.batch_alter_table("supplier_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supplier_user_supplier_id"), ["supplier_id"], unique=False)
    op.create_table(
        "order_acknowledgment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("planned_delivery_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["user_account.id"],
            name=op.f("fk_order_acknowledgment_acknowledged_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["purchase_order.id"], name=op.f("fk_order_acknowledgment_order_id_purchase_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_acknowledgment")),
        sa.UniqueConstraint("order_id", name=op.f("uq_order_acknowledgment_order_id")),
    )
    op.create_table(
        "declared_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("declared_by_id", sa.Integer(), nullable=True),
        sa.Column("declared_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["declared_by_id"], ["user_account.id"], name=op.f("fk_declared_delivery_declared_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(["delivery_id"], ["delivery.id"], name=op.f("fk_declared_delivery_delivery_id_delivery")),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"], name=op.f("fk_declared_delivery_supplier_id_supplier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declared_delivery")),
        sa.UniqueConstraint("delivery_id", name=op.f("uq_declared_delivery_delivery_id")),
    )
    with op.batch_alter_table("declared_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_declared_delivery_supplier_id"), ["supplier_id"], unique=False)
    op.create_table(
        "basket_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("contract_price_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_basket_line_basket_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["contract_price_id"], ["contract_price.id"], name=op.f("fk_basket_line_contract_price_id_contract_price")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_basket_line_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_basket_line")),
        sa.UniqueConstraint("user_id", "contract_price_id", name=op.f("uq_basket_line_user_id_contract_price_id")),
    )
    with op.batch_alter_table("basket_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_basket_line_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("basket_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_basket_line_user_id"))
    op.drop_table("basket_line")
    with op.batch_alter_table("declared_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declared_delivery_supplier_id"))
    op.drop_table("declared_delivery")
    op.drop_table("order_acknowledgment")
    with op.batch_alter_table("supplier_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_user_supplier_id"))
    op.drop_table("supplier_user")
    op.execute("DELETE FROM user_account WHERE role = 'supplier'")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column(
            "role", existing_type=_role(*ROLES, "supplier"), type_=_role(*ROLES), existing_nullable=False
        )
