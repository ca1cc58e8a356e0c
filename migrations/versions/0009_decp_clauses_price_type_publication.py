"""DECP: the lot's clauses (social, environmental, reserved market) replace its free-text
considerations; the contract's price type and the date its essential data were first published

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 14:30:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def price_type():
    return sa.Enum(
        "Définitif ferme", "Définitif actualisable", "Définitif révisable",
        name="pricetype", native_enum=False, length=30, create_constraint=True,
    )  # fmt: skip


def upgrade():
    with op.batch_alter_table("lot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("social_clause", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("environmental_clause", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("reserved_market", sa.Boolean(), nullable=False, server_default=sa.false()))
    # What the free text recorded as a clause is kept; criteria are now read from the award criteria.
    op.execute("UPDATE lot SET social_clause = TRUE WHERE social_considerations LIKE '%Clause sociale%'")
    op.execute("UPDATE lot SET reserved_market = TRUE WHERE social_considerations LIKE '%Marché réservé%'")
    op.execute(
        "UPDATE lot SET environmental_clause = TRUE WHERE environmental_considerations LIKE '%Clause environnementale%'"
    )
    with op.batch_alter_table("lot", schema=None) as batch_op:
        batch_op.drop_column("social_considerations")
        batch_op.drop_column("environmental_considerations")

    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.add_column(sa.Column("price_type", price_type(), nullable=False, server_default="Définitif ferme"))
        batch_op.add_column(sa.Column("first_published_on", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("contract", schema=None) as batch_op:  # its CHECK first (SQLite copies it)
        batch_op.alter_column(
            "price_type", existing_type=price_type(), type_=sa.String(length=30), existing_nullable=False
        )
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_column("first_published_on")
        batch_op.drop_column("price_type")

    with op.batch_alter_table("lot", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "social_considerations",
                sa.String(length=300),
                nullable=False,
                server_default="Pas de considération sociale",
            )
        )
        batch_op.add_column(
            sa.Column(
                "environmental_considerations",
                sa.String(length=300),
                nullable=False,
                server_default="Pas de considération environnementale",
            )
        )
    op.execute("UPDATE lot SET social_considerations = 'Clause sociale' WHERE social_clause = TRUE")
    op.execute(
        "UPDATE lot SET social_considerations = 'Marché réservé' WHERE reserved_market = TRUE AND social_clause = FALSE"
    )
    op.execute(
        "UPDATE lot SET social_considerations = 'Clause sociale;Marché réservé' "
        "WHERE reserved_market = TRUE AND social_clause = TRUE"
    )
    op.execute(
        "UPDATE lot SET environmental_considerations = 'Clause environnementale' WHERE environmental_clause = TRUE"
    )
    with op.batch_alter_table("lot", schema=None) as batch_op:
        batch_op.drop_column("reserved_market")
        batch_op.drop_column("environmental_clause")
        batch_op.drop_column("social_clause")
