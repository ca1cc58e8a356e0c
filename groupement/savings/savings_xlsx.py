"""The Excel file of a campaign's savings report (summary, per lot, per commune, per line)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from groupement.core.files.xlsx import EURO_FORMAT, INTEGER_FORMAT, UNIT_PRICE_FORMAT, Column, escape_text
from groupement.savings.report import SavingsReport
from groupement.savings.rules import Comparison, Reference, Totals

PERCENT_FORMAT = "0.00\\ %"
METHOD = (
    "Montants HT annuels, aux quantités recensées et figées dans les lots (les mêmes de part et d'autre) ; "
    "prix unitaires éco-participation comprise ; montant d'une ligne = quantité × prix unitaire, arrondi au centime ; "
    "part d'une commune = montant de la ligne réparti selon les quantités (plus forts restes), de sorte que les "
    "communes totalisent exactement le lot. Économie = référence − attribué ; pourcentage rapporté à la référence ; "
    "un montant négatif est un surcoût (colonne « Économie ou surcoût »). Prix précédents : le prix payé au marché "
    "de la campagne précédente du coordonnateur pour le même article, à défaut son estimation (colonne « Référence »)."
)
LINE_REFERENCES = {Reference.CONTRACT: "Prix du marché", Reference.ESTIMATE: "Estimation (pas de marché)"}


def outcome(comparison: Comparison) -> str:
    """'Économie' or 'Surcoût': a negative saving is never called a saving."""
    return "Surcoût" if comparison.surcharge else "Économie"


def savings_filename(report: SavingsReport) -> str:
    return f"economies-campagne-{report.campaign.id}.xlsx"


def savings_xlsx(report: SavingsReport) -> bytes:
    """Summary, per lot, per commune, per commune and lot, per line: numbers typed, formulas none."""
    workbook = Workbook(write_only=True)
    with_previous = report.previous_campaign is not None and report.total.has_previous
    _summary_sheet(workbook, report, with_previous)

    money = [Column("Estimé HT", 16, EURO_FORMAT), Column("Attribué HT", 16, EURO_FORMAT)]
    money += [Column("Économie HT", 16, EURO_FORMAT), Column("Économie (%)", 12, PERCENT_FORMAT)]
    money += [Column("Économie ou surcoût", 12)]
    previous = [
        Column("Référence précédente", 24),
        Column("Prix précédents HT (lignes comparables)", 20, EURO_FORMAT),
        Column("Attribué HT (mêmes lignes)", 18, EURO_FORMAT),
        Column("Économie / prix précédents HT", 18, EURO_FORMAT),
        Column("Économie / prix précédents (%)", 14, PERCENT_FORMAT),
        Column("Économie ou surcoût / prix précédents", 14),
        Column("Lignes comparables", 12, INTEGER_FORMAT),
        Column("Dont au prix du marché", 12, INTEGER_FORMAT),
    ]
    if not with_previous:
        previous = []

    def figures(totals: Totals) -> list:
        values = [*_comparison_cells(totals.estimate), outcome(totals.estimate)]
        if with_previous:
            values += (
                [
                    totals.previous_reference.label.capitalize(),
                    *_comparison_cells(totals.previous),
                    outcome(totals.previous),
                    totals.lines_with_previous,
                    totals.lines_with_previous_contract,
                ]
                if totals.has_previous
                else ["", None, None, None, None, "", 0, 0]
            )
        return values

    lot_columns = [
        Column("Lot", 6, INTEGER_FORMAT),
        Column("Intitulé", 36),
        Column("Famille", 14),
        Column("Titulaire", 28),
        Column("N° de contrat", 16),
        *money,
        *previous,
    ]
    lot_rows = [
        [lot.number, lot.title, lot.family_label, lot.supplier_name, lot.contract_number, *figures(lot.totals)]
        for lot in report.lots
    ]
    lot_rows.append(["Total", "", "", "", "", *figures(report.total)])
    _sheet(workbook, "Par lot", lot_columns, lot_rows)

    commune_columns = [Column("Commune", 30), Column("Code INSEE", 10), *money, *previous]
    commune_rows = [[c.name, c.insee or "", *figures(c.totals)] for c in report.communes]
    commune_rows.append(["Total", "", *figures(report.total)])
    _sheet(workbook, "Par commune", commune_columns, commune_rows)

    cross_columns = [
        Column("Commune", 30),
        Column("Code INSEE", 10),
        Column("Lot", 6, INTEGER_FORMAT),
        Column("Intitulé du lot", 36),
        *money,
        *previous,
    ]
    cross_rows = [
        [commune.name, commune.insee or "", lot.number, lot.title, *figures(totals)]
        for commune, lot, totals in report.commune_lots
    ]
    _sheet(workbook, "Par commune et lot", cross_columns, cross_rows)

    line_columns = [
        Column("Lot", 6, INTEGER_FORMAT),
        Column("Référence", 16),
        Column("Désignation", 40),
        Column("Unité", 10),
        Column("Quantité", 10, INTEGER_FORMAT),
        Column("PU estimé HT", 14, UNIT_PRICE_FORMAT),
        Column("PU attribué HT", 14, UNIT_PRICE_FORMAT),
        *money,
    ]
    if with_previous:
        line_columns += [
            Column("Référence précédente", 24),
            Column("PU précédent HT", 14, UNIT_PRICE_FORMAT),
            Column("Montant aux prix précédents", 18, EURO_FORMAT),
            Column("Économie ou surcoût / prix précédents", 14),
        ]
    line_rows = []
    for line in report.lines:
        row = [
            line.lot_number,
            line.ref,
            line.designation,
            line.unit,
            line.quantity,
            line.estimated_unit,
            line.awarded_unit,
            *_comparison_cells(line.estimate),
            outcome(line.estimate),
        ]
        if with_previous:
            row += [
                LINE_REFERENCES[line.previous_reference] if line.previous else "",
                line.previous_unit,
                line.previous.reference if line.previous else None,
                outcome(line.previous) if line.previous else "",
            ]
        line_rows.append(row)
    _sheet(workbook, "Par ligne", line_columns, line_rows)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _comparison_cells(comparison: Comparison) -> list:
    percent = comparison.percent
    return [
        comparison.reference,
        comparison.awarded,
        comparison.savings,
        percent / 100 if percent is not None else None,
    ]


def _summary_sheet(workbook: Workbook, report: SavingsReport, with_previous: bool) -> None:
    total = report.total.estimate
    rows: list[list] = [
        ["Campagne", report.campaign.title],
        ["Année des besoins", report.campaign.year],
        ["Édité le", report.generated_on],
        ["Lots attribués", len(report.lots)],
        ["Lots sans contrat", len(report.pending)],
        ["Montant estimé HT (annuel)", total.reference],
        ["Montant attribué HT (annuel)", total.awarded],
    ]
    rows += _outcome_rows(total, "par rapport aux estimations", "Économies réalisées HT (annuelles)")
    if with_previous:
        previous = report.total.previous
        rows += [
            ["Campagne de comparaison", report.previous_campaign.title],
            ["Référence de comparaison", report.total.previous_reference.label.capitalize()],
            ["Lignes comparables aux prix précédents", report.total.lines_with_previous],
            ["Dont au prix du marché précédent", report.total.lines_with_previous_contract],
            ["Montant aux prix précédents HT", previous.reference],
            ["Montant attribué HT (mêmes lignes)", previous.awarded],
        ]
        rows += _outcome_rows(previous, "par rapport aux prix précédents")
    rows.append(["Méthode", METHOD])
    sheet = workbook.create_sheet("Synthèse")
    sheet.column_dimensions["A"].width = 44
    sheet.column_dimensions["B"].width = 60
    sheet.append([_header_cell(sheet, "Économies réalisées — " + report.campaign.title)])
    for label, value in rows:
        cell = WriteOnlyCell(sheet, value=escape_text(value) if isinstance(value, str) else value)
        if isinstance(value, date):
            cell.number_format = "dd/mm/yyyy"
        elif label.endswith("(%)"):
            cell.number_format = PERCENT_FORMAT
        elif isinstance(value, Decimal):
            cell.number_format = EURO_FORMAT
        elif label == "Méthode":
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.append([label, cell])


def _outcome_rows(comparison: Comparison, against: str, saving_label: str | None = None) -> list[list]:
    """Two rows: the saving (amount, %) or, when the award costs more, the surcharge (positive)."""
    if comparison.surcharge:
        percent = comparison.surcharge_percent
        return [
            [f"Surcoût {against} HT", comparison.extra_cost],
            [f"Surcoût {against} (%)", percent / 100 if percent is not None else None],
        ]
    percent = comparison.percent
    return [
        [saving_label or f"Économie {against} HT", comparison.savings],
        [
            "Économies réalisées (%)" if saving_label else f"Économie {against} (%)",
            percent / 100 if percent is not None else None,
        ],
    ]


def _header_cell(sheet, title: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=escape_text(title))
    cell.font = Font(bold=True, color="FFFFFF")
    cell.fill = PatternFill("solid", fgColor="000091")
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    return cell


def _sheet(workbook: Workbook, title: str, columns: Sequence[Column], rows: Iterable[Sequence]) -> None:
    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.append([_header_cell(sheet, column.title) for column in columns])
    for row in rows:
        cells = []
        for value, column in zip(row, columns, strict=True):
            if isinstance(value, str):
                cells.append(escape_text(value))
            elif value is None or column.number_format is None:
                cells.append(value)
            else:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = column.number_format
                cells.append(cell)
        sheet.append(cells)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}1"
