"""The execution report of a contract (its page with a chart, and its .xlsx). The routes join the
contracts blueprint (endpoints contracts.execution_report and contracts.execution_report_xlsx):
the report reads invoices, which come after contracts in the pipeline. Every role within scope:
a commune's users see their own line only."""

from __future__ import annotations

from decimal import Decimal

from flask import render_template
from markupsafe import Markup

from groupement.contracts.web import bp
from groupement.core import formatting
from groupement.core.charts import bar_chart_svg
from groupement.core.files.xlsx import EURO_FORMAT, Column, table_bytes
from groupement.invoices.execution_report import ExecutionReport
from groupement.invoices.execution_report import execution_report as build_report
from groupement.web.access import current_actor, roles_required
from groupement.web.downloads import xlsx_response

HEADER = ("Commune", "Besoins HT", "Commandé HT", "Livré HT", "Facturé HT", "Payé HT", "Commandé / besoins (%)")


def bars(report: ExecutionReport) -> list[tuple[str, Decimal]]:
    total = report.total
    shown = [
        ("Besoins déclarés", total.needs),
        ("Commandé", total.ordered),
        ("Livré", total.delivered),
        ("Facturé", total.invoiced),
        ("Payé", total.paid),
    ]
    if report.whole_contract:
        shown.insert(0, ("Montant maximum", report.contract.maximum_amount))
    return [(label, max(value, Decimal(0))) for label, value in shown]


@bp.route("/contrats/<int:contract_id>/execution")
@roles_required()
def execution_report(contract_id: int):
    report = execution_report_of(contract_id)
    chart = Markup(
        bar_chart_svg(
            bars(report),
            f"Exécution de l'accord-cadre {report.contract.number} (HT)",
            formatting.euros,
            chart_id=f"graphique-execution-{report.contract.id}",
        )
    )
    return render_template("contracts/execution.html", report=report, contract=report.contract, chart=chart)


@bp.route("/contrats/<int:contract_id>/execution.xlsx")
@roles_required()
def execution_report_xlsx(contract_id: int):
    report = execution_report_of(contract_id)
    widths = (32, 16, 16, 16, 16, 16, 14)
    formats = (None, EURO_FORMAT, EURO_FORMAT, EURO_FORMAT, EURO_FORMAT, EURO_FORMAT, "0.0")
    columns = [Column(title, width, fmt) for title, width, fmt in zip(HEADER, widths, formats, strict=True)]
    rows = [
        (r.commune, r.needs, r.ordered, r.delivered, r.invoiced, r.paid, r.ordered_of_needs)
        for r in [*report.rows, report.total]
    ]
    content = table_bytes(f"Exécution {report.contract.number}", columns, rows)
    return xlsx_response(content, f"execution-{report.contract.number}.xlsx")


def execution_report_of(contract_id: int) -> ExecutionReport:
    return build_report(current_actor(), contract_id)
