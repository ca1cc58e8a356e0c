"""recovery titles: numbered per coordinator and year from number_sequence, paid_total bounded
by a CHECK, cancellation by a counter-title (kind, status, cancels_id, reason)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 14:40:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

PAID_WITHIN_AMOUNT = (
    "(amount_ttc >= 0 AND paid_total >= 0 AND paid_total <= amount_ttc)"
    " OR (amount_ttc < 0 AND paid_total <= 0 AND paid_total >= amount_ttc)"
)
CANCELLATION_POINTS_TO_ITS_TITLE = (
    "(kind = 'title' AND cancels_id IS NULL) OR (kind = 'cancellation' AND cancels_id IS NOT NULL)"
)


def title_kind():
    return sa.Enum("title", "cancellation", name="titlekind", native_enum=False, length=20, create_constraint=True)


def title_status():
    return sa.Enum("issued", "cancelled", name="titlestatus", native_enum=False, length=20, create_constraint=True)


def upgrade():
    op.create_table(
        "number_sequence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coordinator_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.CheckConstraint("last >= 0", name=op.f("ck_number_sequence_last_not_negative")),
        sa.ForeignKeyConstraint(
            ["coordinator_id"], ["organisation.id"], name=op.f("fk_number_sequence_coordinator_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_number_sequence")),
        sa.UniqueConstraint("coordinator_id", "kind", "year", name=op.f("uq_number_sequence_coordinator_id_kind_year")),
    )

    with op.batch_alter_table("recovery_title", schema=None) as batch_op:
        batch_op.add_column(sa.Column("coordinator_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("kind", title_kind(), nullable=False, server_default="title"))
        batch_op.add_column(sa.Column("status", title_status(), nullable=False, server_default="issued"))
        batch_op.add_column(
            sa.Column("paid_total", sa.Numeric(precision=14, scale=2), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("cancels_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=False, server_default=""))

    # A title paid beyond its amount (the double payments this revision prevents) cannot meet the
    # new CHECK: say which, rather than fail on the constraint.
    over_paid = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT recovery_title.number FROM recovery_title WHERE ABS(recovery_title.amount_ttc) < ABS("
                "(SELECT COALESCE(SUM(payment.amount), 0) FROM payment WHERE payment.title_id = recovery_title.id))"
            )
        )
        .scalars()
        .all()
    )
    if over_paid:
        raise RuntimeError(
            "Titres encaissés au-delà de leur montant (encaissements en double) : "
            + ", ".join(over_paid)
            + ". Corrigez ces encaissements avant de mettre la base à jour."
        )
    # Existing titles: their coordinator is their invoice's, what was paid is the sum of their payments.
    op.execute(
        "UPDATE recovery_title SET coordinator_id = "
        "(SELECT invoice.coordinator_id FROM invoice WHERE invoice.id = recovery_title.invoice_id)"
    )
    op.execute(
        "UPDATE recovery_title SET paid_total = "
        "COALESCE((SELECT SUM(payment.amount) FROM payment WHERE payment.title_id = recovery_title.id), 0)"
    )

    with op.batch_alter_table("recovery_title", schema=None) as batch_op:
        batch_op.alter_column("coordinator_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("kind", existing_type=title_kind(), server_default=None)
        batch_op.alter_column("status", existing_type=title_status(), server_default=None)
        batch_op.alter_column("paid_total", existing_type=sa.Numeric(precision=14, scale=2), server_default=None)
        batch_op.alter_column("reason", existing_type=sa.Text(), server_default=None)
        batch_op.drop_constraint("uq_recovery_title_invoice_id_commune_id", type_="unique")
        batch_op.drop_constraint("uq_recovery_title_number", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_recovery_title_invoice_id_commune_id_kind"), ["invoice_id", "commune_id", "kind"]
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_recovery_title_coordinator_id_number"), ["coordinator_id", "number"]
        )
        batch_op.create_unique_constraint(batch_op.f("uq_recovery_title_cancels_id"), ["cancels_id"])
        batch_op.create_check_constraint("paid_within_amount", PAID_WITHIN_AMOUNT)
        batch_op.create_check_constraint("cancellation_points_to_its_title", CANCELLATION_POINTS_TO_ITS_TITLE)
        batch_op.create_foreign_key(
            batch_op.f("fk_recovery_title_coordinator_id_organisation"), "organisation", ["coordinator_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_recovery_title_cancels_id_recovery_title"), "recovery_title", ["cancels_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_recovery_title_coordinator_id"), ["coordinator_id"], unique=False)


def downgrade():
    # A cancellation has no place in the old schema: the counter-titles go, their titles stay.
    op.execute("DELETE FROM recovery_title WHERE kind = 'cancellation'")
    with op.batch_alter_table("recovery_title", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_title_coordinator_id"))
        batch_op.drop_constraint(batch_op.f("fk_recovery_title_cancels_id_recovery_title"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_recovery_title_coordinator_id_organisation"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("ck_recovery_title_cancellation_points_to_its_title"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_recovery_title_paid_within_amount"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_recovery_title_cancels_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_recovery_title_coordinator_id_number"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_recovery_title_invoice_id_commune_id_kind"), type_="unique")
        batch_op.create_unique_constraint("uq_recovery_title_number", ["number"])
        batch_op.create_unique_constraint("uq_recovery_title_invoice_id_commune_id", ["invoice_id", "commune_id"])
        batch_op.drop_constraint(batch_op.f("ck_recovery_title_titlestatus"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_recovery_title_titlekind"), type_="check")
        batch_op.drop_column("reason")
        batch_op.drop_column("cancels_id")
        batch_op.drop_column("paid_total")
        batch_op.drop_column("status")
        batch_op.drop_column("kind")
        batch_op.drop_column("coordinator_id")
    op.drop_table("number_sequence")
