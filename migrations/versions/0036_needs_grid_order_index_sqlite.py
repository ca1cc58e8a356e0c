"""The needs grid's order as an index on SQLite too: its values are now written in the query

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07 01:40:00
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

# As in 0035: Family's order when this revision was written, as campaigns/grid_page._grid_order sorts.
GRID_ORDER = "(CASE family WHEN 'informatique' THEN 0 WHEN 'fournitures' THEN 1 WHEN 'vehicules' THEN 2 END)"


def upgrade():
    # 0035 left SQLite out because the query bound the CASE's values, and SQLite matches an
    # expression index only to constants. The query now writes them (grid_page._grid_order):
    # the first page of a 5 000-item grid reads 100 items in order (0,1 ms) instead of sorting
    # all of them (2,6 ms), and a later page walks the index up to its place.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"CREATE INDEX ix_catalog_item_grid_order ON catalog_item ({GRID_ORDER}, ref)")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_catalog_item_grid_order", table_name="catalog_item")
