"""suppliers' and invoices' search keys: name, SIRET or number in lower case without accents

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 06:00:00
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def _search_key(*texts):
    # A copy of groupement.core.search_text.search_key as it was when this migration was written.
    text = " ".join(part for part in texts if part)
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(plain.lower().split())


def _add_and_fill(table_name, length, sources):
    with op.batch_alter_table(table_name) as batch:
        batch.add_column(sa.Column("search_key", sa.String(length=length), nullable=False, server_default=""))
    table = sa.table(
        table_name,
        sa.column("id", sa.Integer),
        sa.column("search_key", sa.String),
        *(sa.column(name, sa.String) for name in sources),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(table.c.id, *(table.c[name] for name in sources))).all()
    for row in rows:
        key = _search_key(*(row[i + 1] or "" for i in range(len(sources))))
        connection.execute(table.update().where(table.c.id == row.id).values(search_key=key))


def upgrade():
    _add_and_fill("supplier", 220, ("name", "siret"))
    _add_and_fill("invoice", 270, ("number", "seller_name"))


def downgrade():
    for table_name in ("invoice", "supplier"):
        with op.batch_alter_table(table_name) as batch:
            batch.drop_column("search_key")
