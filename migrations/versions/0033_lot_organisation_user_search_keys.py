"""lots', organisations' and users' search keys: title or name in lower case without accents

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-03 11:10:00
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

KEY_LENGTH = 220
TABLES = (("lot", "title"), ("organisation", "name"), ("user_account", "name"))


def _search_key(text):
    # A copy of groupement.core.search_text.search_key as it was when this migration was written.
    plain = "".join(c for c in unicodedata.normalize("NFKD", text or "") if not unicodedata.combining(c))
    return " ".join(plain.lower().split())[:KEY_LENGTH]


def upgrade():
    connection = op.get_bind()
    for table_name, source in TABLES:
        with op.batch_alter_table(table_name) as batch:
            batch.add_column(sa.Column("search_key", sa.String(length=KEY_LENGTH), nullable=False, server_default=""))
        table = sa.table(
            table_name, sa.column("id", sa.Integer), sa.column("search_key", sa.String), sa.column(source, sa.String)
        )
        for row in connection.execute(sa.select(table.c.id, table.c[source])).all():
            connection.execute(table.update().where(table.c.id == row.id).values(search_key=_search_key(row[1])))


def downgrade():
    for table_name, _source in reversed(TABLES):
        with op.batch_alter_table(table_name) as batch:
            batch.drop_column("search_key")
