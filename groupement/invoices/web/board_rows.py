"""The rows of the invoice board's table, written in one format string per invoice.

The board shows 50 invoices on every visit; in Jinja each row cost about 20 µs (a dozen escaped
outputs, four filters, two link calls), a third of the page's own rendering. Here a row is one
format of its escaped texts. The markup is that of the template it replaces
(templates/invoices/board.html keeps the table around it): change both together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from markupsafe import Markup, escape

from groupement.core.formatting import date_fr, euros
from groupement.invoices.board_page import BoardInvoice

_ROW = (
    "<tr>\n"
    '      <th scope="row"><a href="{invoice_url}">{number}</a></th>\n'
    "      <td>{kind}</td>\n"
    '      <td class="nowrap">{issue_date}</td>\n'
    "      <td>{supplier}</td>\n"
    "      <td>{contract}</td>\n"
    '      <td><span class="badge badge-invoice-{status}">{status_label}</span></td>\n'
    '      <td class="num">{total_ht}</td>\n'
    '      <td class="num">{total_vat}</td>\n'
    '      <td class="num">{total_ttc}</td>\n'
    "    </tr>\n  "
)


def board_rows_markup(
    invoice_url: Callable[[int], str], contract_url: Callable[[int], str]
) -> Callable[[Iterable[BoardInvoice]], Markup]:
    """The function the template calls with the page's invoices; the links from web/row_urls."""

    def rows(invoices: Iterable[BoardInvoice]) -> Markup:
        # Every text is escaped but the formatted dates and amounts: digits, separators and the euro
        # sign, never a markup character (4 of the 11 escapes of a row).
        written = []
        for invoice in invoices:
            if invoice.contract_id:
                link, number = escape(contract_url(invoice.contract_id)), escape(invoice.contract_number)
                contract = f'<a href="{link}">{number}</a>'
            else:
                contract = "—"
            written.append(
                _ROW.format(
                    invoice_url=escape(invoice_url(invoice.id)),
                    number=escape(invoice.number),
                    kind=escape(invoice.kind.label),
                    issue_date=date_fr(invoice.issue_date),
                    supplier=escape(invoice.supplier_name),
                    contract=contract,
                    status=escape(invoice.status.value),
                    status_label=escape(invoice.status.label),
                    total_ht=euros(invoice.total_ht),
                    total_vat=euros(invoice.total_vat),
                    total_ttc=euros(invoice.total_ttc),
                )
            )
        return Markup("".join(written))

    return rows
