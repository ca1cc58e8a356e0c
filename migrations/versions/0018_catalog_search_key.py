"""catalog items' search key: designation and ref in lower case without accents

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 15:20:00
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _search_key(*texts):
    # A copy of groupement.catalog.rules.search_key as it was when this migration was written.
    text = " ".join(part for part in texts if part)
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(plain.lower().split())


def upgrade():
    with op.batch_alter_table("catalog_item") as batch:
        batch.add_column(sa.Column("search_key", sa.String(length=400), nullable=False, server_default=""))
    connection = op.get_bind()
    item = sa.table(
        "catalog_item",
        sa.column("id", sa.Integer),
        sa.column("ref", sa.String),
        sa.column("designation", sa.String),
        sa.column("search_key", sa.String),
    )
    rows = connection.execute(sa.select(item.c.id, item.c.designation, item.c.ref)).all()
    for row in rows:
        connection.execute(
            item.update().where(item.c.id == row.id).values(search_key=_search_key(row.designation, row.ref))
        )
    with op.batch_alter_table("catalog_item") as batch:
        batch.alter_column("search_key", server_default=None)


def downgrade():
    with op.batch_alter_table("catalog_item") as batch:
        batch.drop_column("search_key")
