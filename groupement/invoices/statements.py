"""Invoice outputs from plain data: a commune's statement (état de répartition) as .xlsx and PDF,
the recovery titles (titres de recettes) for the accounting software (CSV and .xlsx), and the
invoices board as .xlsx. No database here: dataclasses in, bytes out.

The titles CSV follows the French convention, so that French Excel and the accounting
software read it alike: UTF-8 with a byte order mark (Excel then opens it with its accents),
';' as separator, one header row
``numero_titre;nature;titre_annule;siren_commune;commune;objet;montant_ttc;compte;reference_facture;date_echeance;etat``,
amounts with a decimal COMMA and two decimals (``1659,47``, negative for a credit note or a
counter-title, no thousands separator), dates as ``28/11/2026``. A cancelled title and its
counter-title (nature ``annulation``, its ``titre_annule`` the cancelled title's number) are both
listed. Text cells that a spreadsheet would run as a formula are neutralised with a leading
apostrophe (see io/xlsx.escape_text).

The PDF is HTML and CSS (templates/pdf/statement.html) on the coordinator's letterhead, by
WeasyPrint (core/files/pdf.py); it needs an application context.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import render_template
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from groupement.contracts.order_pdf import unit_euros
from groupement.core.files.pdf import Letterhead, html_to_pdf
from groupement.core.files.xlsx import DATE_FORMAT, EURO_FORMAT, Column, escape_text, table_bytes
from groupement.core.formatting import date_fr, euros, percent

TITLE_CSV_COLUMNS = (
    "numero_titre",
    "nature",
    "titre_annule",
    "siren_commune",
    "commune",
    "objet",
    "montant_ttc",
    "compte",
    "reference_facture",
    "date_echeance",
    "etat",
)
RATE_FORMAT = '0.00\\ "%"'
HEADER_FILL = PatternFill("solid", fgColor="000091")
HEADER_FONT = Font(bold=True, color="FFFFFF")


# --- the statement ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    reference: str  # the invoice line (L1, L2...) or document charge/allowance (R1...)
    description: str
    account: str | None  # M57 account: 2183, 2182, 6064...
    vat_rate: Decimal
    ht: Decimal
    shared: bool  # a share of a line common to several communes, rather than the whole line
    quantity: Decimal | None = None  # the invoiced quantity of a line of the commune's order
    unit_price: Decimal | None = None
    order_number: str = ""  # the commune's bon de commande the line belongs to


@dataclass(frozen=True)
class StatementDocument:
    invoice_number: str
    invoice_kind: str  # "facture", "avoir", "facture rectificative"
    invoice_date: date
    supplier: str
    invoice_total_ttc: Decimal
    commune_name: str
    commune_insee: str
    commune_siren: str
    key_label: str  # "à parts égales"...
    lines: Sequence[StatementLine]
    vat: Sequence[tuple[Decimal, Decimal, Decimal]]  # (rate, base HT, VAT)
    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal
    issued_on: date
    titles: Sequence[StatementTitle] = ()  # the share's title and, once cancelled, its counter-title
    certifier_name: str = ""  # who certifies the statement (« certifié exact »), printed above the signature
    certifier_function: str = ""


@dataclass(frozen=True)
class StatementTitle:
    number: str
    label: str  # "titre de recettes", "titre d'annulation du titre TR-2026-00001 (motif)"
    amount_ttc: Decimal
    due_date: date
    state: str  # "reste dû", "soldé", "annulé"; "" for a counter-title


def statement_title(document: StatementDocument) -> str:
    return f"État de répartition — {document.invoice_kind} n° {document.invoice_number} — {document.commune_name}"


def _facts(document: StatementDocument) -> list[tuple[str, str]]:
    return [
        (
            "Facture",
            f"{document.invoice_kind.capitalize()} n° {document.invoice_number} du {date_fr(document.invoice_date)}",
        ),
        ("Fournisseur", document.supplier),
        ("Montant total de la facture", euros(document.invoice_total_ttc) + " TTC"),
        ("Commune", f"{document.commune_name} (INSEE {document.commune_insee}, SIREN {document.commune_siren})"),
        ("Clé de répartition", document.key_label),
        ("Établi le", date_fr(document.issued_on)),
    ]


def _origin(line: StatementLine) -> str:
    return "quote-part" if line.shared else "ligne entière"


def statement_xlsx(document: StatementDocument) -> bytes:
    """One sheet: the facts, the commune's lines (or its shares of them), the totals per rate."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "État de répartition"
    for letter, width in zip("ABCDEFG", (12, 50, 14, 14, 10, 16, 4), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append([escape_text(statement_title(document))])
    sheet["A1"].font = Font(bold=True, size=14)
    for label, value in _facts(document):
        sheet.append([label, escape_text(value)])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    sheet.append([])
    header = ["Ligne", "Désignation", "Origine", "Compte M57", "TVA", "Montant HT"]
    sheet.append(header)
    header_row = sheet.max_row
    for column in range(1, len(header) + 1):
        cell = sheet.cell(header_row, column)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for line in document.lines:
        sheet.append(
            [
                escape_text(line.reference),
                escape_text(line.description),
                _origin(line),
                escape_text(line.account or ""),
                line.vat_rate,
                line.ht,
            ]
        )
        sheet.cell(sheet.max_row, 5).number_format = RATE_FORMAT
        sheet.cell(sheet.max_row, 6).number_format = EURO_FORMAT
    sheet.append([])
    totals = [("Total HT", document.total_ht)]
    totals += [(f"TVA {percent(rate)} sur {euros(base)}", vat) for rate, base, vat in document.vat]
    totals += [("Total TVA", document.total_vat), ("Total TTC", document.total_ttc)]
    for label, amount in totals:
        sheet.append([None, None, None, None, label, amount])
        sheet.cell(sheet.max_row, 5).alignment = Alignment(horizontal="right")
        sheet.cell(sheet.max_row, 6).number_format = EURO_FORMAT
    sheet.cell(sheet.max_row, 5).font = sheet.cell(sheet.max_row, 6).font = Font(bold=True)
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def statement_html(document: StatementDocument, letterhead: Letterhead) -> str:
    return render_template(
        "pdf/statement.html",
        document=document,
        letterhead=letterhead,
        pdf_title=statement_title(document),
        document_title="État de répartition",
        reference=f"{document.invoice_kind.capitalize()} n° {document.invoice_number} — {document.commune_name}",
        issued_on=document.issued_on,
        facts=_facts(document),
        origin=_origin,
        unit_euros=unit_euros,
    )


def statement_pdf(document: StatementDocument, letterhead: Letterhead) -> bytes:
    """On the coordinator's letterhead: the facts, the commune's lines with their quantities, unit
    prices and orders, the totals per rate, the titles, and the « certifié exact » block."""
    return html_to_pdf(statement_html(document, letterhead))


# --- recovery titles ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TitleRow:
    number: str  # TR-2026-00001
    commune_name: str
    commune_siren: str
    object: str
    amount_ttc: Decimal
    account: str
    invoice_reference: str
    due_date: date
    paid: Decimal = Decimal("0.00")
    nature: str = "titre"  # "titre", or "annulation" for a counter-title
    cancels: str = ""  # a counter-title: the number of the title it cancels
    state: str = ""  # "reste dû", "soldé", "annulé"; "" for a counter-title


def _french_amount(amount: Decimal) -> str:
    """1659,47: a decimal comma, two decimals, no thousands separator; never -0,00."""
    return f"{amount + Decimal(0):.2f}".replace(".", ",")


def titles_csv(rows: Iterable[TitleRow]) -> bytes:
    """The titles for the accounting software and French Excel (format in the module docstring)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(TITLE_CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                escape_text(row.number),
                row.nature,
                escape_text(row.cancels),
                row.commune_siren,
                escape_text(row.commune_name),
                escape_text(row.object),
                _french_amount(row.amount_ttc),
                row.account,
                escape_text(row.invoice_reference),
                date_fr(row.due_date),
                row.state,
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


TITLE_XLSX_COLUMNS = (
    Column("N° de titre", 16),
    Column("Commune", 28),
    Column("SIREN de la commune", 14),
    Column("Objet", 60),
    Column("Montant TTC", 16, EURO_FORMAT),
    Column("Compte M57", 11),
    Column("Référence de la facture", 22),
    Column("Date d'échéance", 14, DATE_FORMAT),
    Column("Encaissé", 16, EURO_FORMAT),
    Column("Reste à encaisser", 16, EURO_FORMAT),
    Column("Nature", 12),
    Column("Titre annulé", 16),
    Column("État", 12),
)


def titles_xlsx(rows: Iterable[TitleRow]) -> bytes:
    return table_bytes(
        "Titres de recettes",
        TITLE_XLSX_COLUMNS,
        (
            (
                row.number,
                row.commune_name,
                row.commune_siren,
                row.object,
                row.amount_ttc,
                row.account,
                row.invoice_reference,
                row.due_date,
                row.paid,
                row.amount_ttc - row.paid,
                row.nature,
                row.cancels,
                row.state,
            )
            for row in rows
        ),
    )


# --- the invoices board ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRow:
    number: str
    kind: str  # "facture", "avoir"...
    issue_date: date
    supplier: str
    status: str  # "importée", "contrôlée"...
    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal
    contract: str  # the contract's number, or ""
    file_name: str


BOARD_COLUMNS = (
    Column("N° de facture", 18),
    Column("Type", 18),
    Column("Date", 12, DATE_FORMAT),
    Column("Fournisseur", 32),
    Column("Statut", 14),
    Column("Total HT", 16, EURO_FORMAT),
    Column("TVA", 14, EURO_FORMAT),
    Column("Total TTC", 16, EURO_FORMAT),
    Column("Marché", 16),
    Column("Fichier", 30),
)


def invoices_board_xlsx(rows: Sequence[BoardRow]) -> bytes:
    """The board's invoices, then a totals row."""
    body: list[Sequence] = [
        (
            row.number,
            row.kind,
            row.issue_date,
            row.supplier,
            row.status,
            row.total_ht,
            row.total_vat,
            row.total_ttc,
            row.contract,
            row.file_name,
        )
        for row in rows
    ]
    body.append(
        (
            f"Total ({len(rows)} facture{'s' if len(rows) > 1 else ''})",
            None,
            None,
            None,
            None,
            sum((row.total_ht for row in rows), Decimal("0.00")),
            sum((row.total_vat for row in rows), Decimal("0.00")),
            sum((row.total_ttc for row in rows), Decimal("0.00")),
            None,
            None,
        )
    )
    return table_bytes("Factures", BOARD_COLUMNS, body)
