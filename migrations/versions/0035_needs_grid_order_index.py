"""The needs grid's order as an index (PostgreSQL): a page of the grid without sorting the catalog

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-03 12:40:00
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

# Family's order when this revision was written (organisations/families.py), as
# campaigns/grid_page._grid_order sorts: the index serves the query only while both agree.
GRID_ORDER = "(CASE family WHEN 'informatique' THEN 0 WHEN 'fournitures' THEN 1 WHEN 'vehicules' THEN 2 END)"


def upgrade():
    # Every GET of the grid sorted the campaign's items (5 000) by family then ref to keep 100:
    # on PostgreSQL, whose server shares the workers' cores, about a quarter of its CPU per page
    # (issue 14). With this index the page is read in order and the scan stops at the page's end.
    # SQLite cannot match an expression index to the query's bound values: nothing to create.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f'CREATE INDEX ix_catalog_item_grid_order ON catalog_item ({GRID_ORDER}, (ref) COLLATE "C")')


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_catalog_item_grid_order", table_name="catalog_item")
