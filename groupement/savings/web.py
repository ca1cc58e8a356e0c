"""The savings of a campaign: the page with its two charts, and its Excel file (coordinator side).

The routes join the contracts blueprint (their endpoints stay `contracts.savings` and
`contracts.savings_export`, which the templates and the access matrix name): savings comes after
contracts in the pipeline, so it is savings that imports contracts, never the reverse.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from flask import render_template
from markupsafe import Markup

from groupement.contracts.web import bp
from groupement.core import formatting
from groupement.core.access import COORDINATOR_SIDE_ROLES
from groupement.core.charts import bar_chart_svg
from groupement.savings.report import CommuneRow, savings_report
from groupement.savings.savings_xlsx import savings_filename, savings_xlsx
from groupement.web.access import current_actor, roles_required
from groupement.web.downloads import xlsx_response

LARGEST_COMMUNES = 10


@bp.route("/campagnes/<int:campaign_id>/economies")
@roles_required(*COORDINATOR_SIDE_ROLES)
def savings(campaign_id: int):
    report = savings_report(current_actor(), campaign_id)
    lot_chart = Markup(
        bar_chart_svg(
            pair_bars([(f"Lot {row.number}", row.totals.estimate) for row in report.lots]),
            f"Montant HT annuel estimé et attribué par lot — {report.campaign.title}",
            formatting.euros,
            chart_id=f"graphique-economies-lots-{report.campaign.id}",
        )
    )
    bars, title = commune_bars(report.communes)
    commune_chart = Markup(
        bar_chart_svg(
            bars,
            f"{title} — {report.campaign.title}",
            formatting.euros,
            chart_id=f"graphique-economies-communes-{report.campaign.id}",
        )
    )
    return render_template(
        "savings/index.html",
        report=report,
        lot_chart=lot_chart,
        commune_chart=commune_chart,
        commune_chart_title=title,
    )


@bp.route("/campagnes/<int:campaign_id>/economies.xlsx")
@roles_required(*COORDINATOR_SIDE_ROLES)
def savings_export(campaign_id: int):
    report = savings_report(current_actor(), campaign_id)
    return xlsx_response(savings_xlsx(report), savings_filename(report))


def pair_bars(rows: Sequence[tuple[str, object]]) -> list[tuple[str, Decimal]]:
    """Two bars per row: 'label — estimé' and 'label — attribué' (amounts are never negative)."""
    bars = []
    for label, comparison in rows:
        bars.append((f"{label} — estimé", comparison.reference))
        bars.append((f"{label} — attribué", comparison.awarded))
    return bars


def commune_bars(rows: Sequence[CommuneRow], limit: int = LARGEST_COMMUNES) -> tuple[list[tuple[str, Decimal]], str]:
    """The savings of the `limit` largest communes (by estimate), then one bar for all the others.
    A chart draws no negative bar: when a commune pays more than estimated, each commune gets
    two bars instead, estimated and awarded."""
    largest = sorted(rows, key=lambda row: (-row.totals.estimate.reference, formatting.name_key(row.name)))
    shown, rest = largest[:limit], largest[limit:]
    if all(row.totals.estimate.savings >= 0 for row in rows):
        bars = [(row.name, row.totals.estimate.savings) for row in shown]
        if rest:
            bars.append(
                (f"Autres communes ({len(rest)})", sum((row.totals.estimate.savings for row in rest), Decimal(0)))
            )
        return bars, "Économies HT annuelles par commune"
    pairs = [(row.name, row.totals.estimate) for row in shown]
    if rest:
        pairs.append(
            (f"Autres communes ({len(rest)})", sum((row.totals.estimate for row in rest[1:]), rest[0].totals.estimate))
        )
    return pair_bars(pairs), "Montant HT annuel estimé et attribué par commune"
