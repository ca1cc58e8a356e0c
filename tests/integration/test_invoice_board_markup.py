# ruff: noqa: E501  (the template loop is quoted as it was, one line per template line)
"""The invoice board's rows, written by invoices/web/board_rows.py in one format string per invoice,
are the markup the template's loop wrote: same elements, attributes and texts, escaped the same way."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from groupement.invoices.board_page import BoardInvoice
from groupement.invoices.states import InvoiceKind, InvoiceStatus
from groupement.invoices.web.board_rows import board_rows_markup

# The loop templates/invoices/board.html held before the rows moved to Python, as it was.
TEMPLATE_LOOP = """{% for invoice in invoices %}
    <tr>
      <th scope="row"><a href="{{ invoice_url(invoice.id) }}">{{ invoice.number }}</a></th>
      <td>{{ invoice.kind.label }}</td>
      <td class="nowrap">{{ invoice.issue_date|date_fr }}</td>
      <td>{{ invoice.supplier_name }}</td>
      <td>{% if invoice.contract_id %}<a href="{{ contract_url(invoice.contract_id) }}">{{ invoice.contract_number }}</a>{% else %}—{% endif %}</td>
      <td><span class="badge badge-invoice-{{ invoice.status.value }}">{{ invoice.status.label }}</span></td>
      <td class="num">{{ invoice.total_ht|euros }}</td>
      <td class="num">{{ invoice.total_vat|euros }}</td>
      <td class="num">{{ invoice.total_ttc|euros }}</td>
    </tr>
  {% endfor %}"""

INVOICES = [
    BoardInvoice(
        3, "F-2026-0003", InvoiceKind.INVOICE, date(2026, 11, 28), "Bureau & Cie <Sud>", InvoiceStatus.CHECKED,
        Decimal("1234.56"), Decimal("246.91"), Decimal("1481.47"), 12, "2026-M-07 « A&B »", "f.xml",
    ),
    BoardInvoice(
        4, "AV-2026'4", InvoiceKind.CREDIT_NOTE, date(2026, 1, 2), "SIRET 12345678900011", InvoiceStatus.IMPORTED,
        Decimal("-10.00"), Decimal("-2.00"), Decimal("-12.00"), None, None, "a.pdf",
    ),
]  # fmt: skip


def spaces(html: str) -> str:
    return re.sub(r"\s+", " ", str(html)).strip()


def invoice_url(invoice_id: int) -> str:
    return f"/factures/{invoice_id}"


def contract_url(contract_id: int) -> str:
    return f"/factures/marches/{contract_id}?a=1&b=2"


def test_the_rows_are_the_markup_the_template_loop_wrote(app):
    with app.app_context():
        expected = app.jinja_env.from_string(TEMPLATE_LOOP).render(
            invoices=INVOICES, invoice_url=invoice_url, contract_url=contract_url
        )
    written = board_rows_markup(invoice_url, contract_url)(INVOICES)
    assert spaces(written) == spaces(expected)
    assert "Bureau &amp; Cie &lt;Sud&gt;" in written and "?a=1&amp;b=2" in written
    assert "<td>—</td>" in written  # no contract
