"""The invoice board's order as an index: a coordinator's invoices by issue date, newest first

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-03 12:30:00
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade():
    # The board and the ledgers read a page of `ORDER BY issue_date DESC, id DESC` for one
    # coordinator: with this index the database walks it backwards and stops at the page's end
    # instead of sorting every invoice of the coordinator at each request.
    op.create_index("ix_invoice_coordinator_issue_date", "invoice", ["coordinator_id", "issue_date", "id"])


def downgrade():
    op.drop_index("ix_invoice_coordinator_issue_date", table_name="invoice")
