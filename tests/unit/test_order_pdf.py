"""The purchase order as a PDF: a real PDF, titled with the order number, in the shipped font."""

from datetime import date
from decimal import Decimal

from groupement.contracts.order_pdf import FONTS, OrderDocument, OrderDocumentLine, order_pdf


def document(lines: int = 2) -> OrderDocument:
    line = OrderDocumentLine(
        ref="INF-PORT",
        designation="Ordinateur portable 14 pouces, écran mat, garantie 3 ans sur site",
        unit="unité",
        quantity=1200,
        unit_price=Decimal("764.1000"),
        eco_participation=Decimal("1.0000"),
        vat_rate=Decimal("20.00"),
        amount_ht=Decimal("918120.00"),
    )
    return OrderDocument(
        number="BC-38053-2027-0042",
        order_date=date(2027, 3, 10),
        commune_name="Bourgoin-Jallieu",
        commune_address="Mairie de Bourgoin-Jallieu\nPlace de la Mairie\n38300 Bourgoin-Jallieu",
        commune_siret="21380053000013",
        delivery_address="Services techniques — bâtiment B\n12 rue de l'Église\n38300 Bourgoin-Jallieu",
        supplier_name="Informatique Dauphiné",
        supplier_address="1 rue de l'Industrie\n69001 Lyon",
        supplier_siret="40000001000012",
        contract_number="2027-L01-7",
        lot_title="Lot n° 1 — Ordinateurs et écrans",
        created_by="Élodie Agent",
        lines=[line] * lines,
        vat=[(Decimal("20.00"), Decimal("918120.00") * lines, Decimal("183624.00") * lines)],
        total_ht=Decimal("918120.00") * lines,
        total_vat=Decimal("183624.00") * lines,
        total_ttc=Decimal("1101744.00") * lines,
    )


def test_the_order_pdf_is_a_pdf_titled_with_the_order_number():
    content = order_pdf(document())
    assert content.startswith(b"%PDF-")
    assert content.rstrip().endswith(b"%%EOF")
    assert b"/Title (Bon de commande BC-38053-2027-0042)" in content
    assert b"/Lang (fr-FR)" in content


def test_the_order_pdf_embeds_the_dejavu_font_shipped_with_the_application():
    content = order_pdf(document())
    assert b"DejaVuSans" in content
    assert b"/FontFile2" in content  # embedded (a subset), not a system font
    assert (FONTS / "DejaVuSans.ttf").is_file()
    assert (FONTS / "DejaVuSans-Bold.ttf").is_file()
    assert (FONTS / "LICENSE-DejaVu.txt").is_file()


def test_a_long_order_continues_on_further_pages():
    assert order_pdf(document(lines=1)).count(b"/Type /Page\n") == 1
    assert order_pdf(document(lines=60)).count(b"/Type /Page\n") >= 2
