"""The purchase order (bon de commande) as a PDF, from plain data: no database here.

French text (accents, €, the narrow no-break spaces of 1 234,56 €) needs a Unicode font: the
DejaVu fonts ship with the application under groupement/static/fonts/ (their licence beside
them), so nothing depends on the fonts installed on the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from groupement.core.formatting import date_fr, euros, number, percent

FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT = "DejaVu"
COLUMNS = ("Réf.", "Désignation", "Unité", "Qté", "PU HT", "Éco-part.", "TVA", "Montant HT")
COLUMN_WIDTHS = (22, 60, 16, 14, 22, 18, 12, 26)  # millimetres, 190 in all (A4 less the margins)
ALIGN = ("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")


@dataclass(frozen=True)
class OrderDocumentLine:
    ref: str
    designation: str
    unit: str
    quantity: int
    unit_price: Decimal
    eco_participation: Decimal
    vat_rate: Decimal
    amount_ht: Decimal


@dataclass(frozen=True)
class OrderDocument:
    number: str
    order_date: date
    commune_name: str
    commune_address: str
    commune_siret: str
    delivery_address: str
    supplier_name: str
    supplier_address: str
    supplier_siret: str
    contract_number: str
    lot_title: str
    created_by: str
    lines: Sequence[OrderDocumentLine]
    vat: Sequence[tuple[Decimal, Decimal, Decimal]]  # (rate, base HT, VAT)
    total_ht: Decimal
    total_vat: Decimal
    total_ttc: Decimal
    notes: Sequence[str] = field(default_factory=tuple)


class _OrderPdf(FPDF):
    number = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, f"Bon de commande {self.number} — page {self.page_no()}/{{nb}}", align="C")


def order_pdf(document: OrderDocument) -> bytes:
    pdf = _OrderPdf(orientation="portrait", unit="mm", format="A4")
    pdf.number = document.number
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"Bon de commande {document.number}")
    pdf.set_subject(f"Marché n° {document.contract_number}")
    pdf.set_author(document.commune_name)
    pdf.set_creator("groupement")
    pdf.set_lang("fr-FR")
    pdf.set_margins(10, 12, 10)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()

    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 9, "BON DE COMMANDE", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 12)
    pdf.cell(0, 7, f"N° {document.number}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 6, f"Date : {date_fr(document.order_date)}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(
        0,
        6,
        f"Accord-cadre à bons de commande n° {document.contract_number} — {document.lot_title}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(3)

    top = pdf.get_y()
    _block(pdf, 10, top, "Acheteur", document.commune_name, document.commune_address, document.commune_siret)
    left_bottom = pdf.get_y()
    _block(pdf, 105, top, "Titulaire", document.supplier_name, document.supplier_address, document.supplier_siret)
    pdf.set_xy(10, max(left_bottom, pdf.get_y()) + 3)

    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 6, "Adresse de livraison", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 5, document.delivery_address, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)

    pdf.set_font(FONT, "", 8)
    with pdf.table(
        col_widths=COLUMN_WIDTHS,
        text_align=ALIGN,
        line_height=5,
        first_row_as_headings=True,
        headings_style=_headings_style(),
    ) as table:
        heading = table.row()
        for title in COLUMNS:
            heading.cell(title)
        for line in document.lines:
            row = table.row()
            for text in (
                line.ref,
                line.designation,
                line.unit,
                number(line.quantity),
                euros(line.unit_price),
                euros(line.eco_participation),
                percent(line.vat_rate),
                euros(line.amount_ht),
            ):
                row.cell(text)
    pdf.ln(3)

    pdf.set_font(FONT, "", 10)
    _total(pdf, "Total HT", euros(document.total_ht))
    for rate, base, vat in document.vat:
        _total(pdf, f"TVA {percent(rate)} sur {euros(base)}", euros(vat))
    pdf.set_font(FONT, "B", 10)
    _total(pdf, "Total TTC", euros(document.total_ttc))
    pdf.set_font(FONT, "", 9)
    pdf.ln(4)
    for note in document.notes:
        pdf.multi_cell(0, 5, note, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.multi_cell(
        0,
        5,
        "Prix unitaires du marché, fermes pour ce bon de commande. Le titulaire livre à l'adresse "
        "ci-dessus ; la facture rappelle le numéro du bon de commande.",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(6)
    issued = f"Émis le {date_fr(document.order_date)}" + (f" par {document.created_by}" if document.created_by else "")
    pdf.cell(0, 5, issued, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(0, 5, "Signature et cachet de la commune :", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _block(pdf: FPDF, x: float, y: float, title: str, name: str, address: str, siret: str) -> None:
    pdf.set_xy(x, y)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(90, 6, title, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    text = "\n".join(part for part in (name, address, f"SIRET {siret}" if siret else "") if part)
    pdf.multi_cell(90, 5, text, new_x=XPos.LEFT, new_y=YPos.NEXT)


def _total(pdf: FPDF, label: str, amount: str) -> None:
    pdf.cell(150, 6, label, align="R")
    pdf.cell(40, 6, amount, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _headings_style() -> FontFace:
    return FontFace(emphasis="BOLD", fill_color=(227, 227, 253))
