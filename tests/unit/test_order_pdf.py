"""The purchase order as a PDF (WeasyPrint): the coordinator's letterhead, the figures, the
references the supplier recalls on its invoice, page numbers; read back from its text and its PNG."""

import io
from datetime import date
from decimal import Decimal

from PIL import Image
from pypdf import PdfReader

from groupement.contracts.order_pdf import OrderDocument, OrderDocumentLine, order_pdf
from groupement.core.files.pdf import Letterhead
from groupement.organisations.letterhead import logo_data_uri
from tests.pdf_reading import pdf_pages_text, pdf_text, pdf_to_png


def flat(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def a_logo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (240, 90), (0, 0, 145)).save(buffer, "PNG")
    return buffer.getvalue()


LETTERHEAD = Letterhead(
    name="Communauté d'agglomération Porte de l'Isère",
    address_lines=("17 avenue du Bourg", "38080 L'Isle-d'Abeau"),
    siret="20004267900017",
    logo_data_uri=logo_data_uri(a_logo(), "image/png"),
)


def document(lines: int = 2, **changes) -> OrderDocument:
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
    values = dict(
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
        engagement_number="EJ-2027-000317",
        chorus_service_code="SERV-INFO-38",
    )
    values.update(changes)
    if "lines_override" in values:
        values["lines"] = values.pop("lines_override")
    return OrderDocument(**values)


def test_the_order_pdf_carries_the_letterhead_the_parties_and_the_totals(app):
    with app.app_context():
        content = order_pdf(document(), LETTERHEAD)
    assert content.startswith(b"%PDF-")
    assert len(pdf_to_png(content, "bon-de-commande")) == 1  # the signature block included
    text = flat(pdf_text(content))
    assert "Communauté d'agglomération Porte de l'Isère" in text and "SIRET 20004267900017" in text
    assert "Bon de commande" in text and "n° BC-38053-2027-0042 · le 10/03/2027" in text
    assert "Accord-cadre à bons de commande n° 2027-L01-7 — Lot n° 1 — Ordinateurs et écrans" in text
    assert "Informatique Dauphiné" in text and "SIRET 40000001000012" in text
    assert "1 200" in text and "764,10 €" in text and "918 120,00 €" in text
    assert "Total HT 1 836 240,00 €" in text
    assert "TVA 20 % sur 1 836 240,00 € 367 248,00 €" in text
    assert "Total TTC 2 203 488,00 €" in text
    assert "Émis le 10/03/2027 par Élodie Agent" in text
    assert "Page 1 sur 1" in text


def test_the_order_pdf_lists_the_references_to_recall_on_the_invoice(app):
    with app.app_context():
        text = flat(pdf_text(order_pdf(document(), LETTERHEAD)))
        blank = flat(pdf_text(order_pdf(document(engagement_number="", chorus_service_code=""), LETTERHEAD)))
    assert "Références à rappeler sur la facture" in text
    assert "N° du bon de commande BC-38053-2027-0042" in text
    assert "N° d'engagement juridique EJ-2027-000317" in text
    assert "Code service Chorus Pro SERV-INFO-38" in text
    assert "N° d'engagement juridique —" in blank and "Code service Chorus Pro —" in blank


def test_the_order_pdf_is_titled_with_the_order_number_and_embeds_the_shipped_font(app):
    with app.app_context():
        content = order_pdf(document(), LETTERHEAD)
    reader = PdfReader(io.BytesIO(content))
    assert reader.metadata.title == "Bon de commande n° BC-38053-2027-0042"
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = [str(fonts[key].get_object()["/BaseFont"]) for key in fonts]
    assert names and all("DejaVu-Sans" in name for name in names)  # embedded subsets of the shipped font


def test_a_long_order_continues_on_numbered_pages_with_its_header_repeated(app):
    with app.app_context():
        pages = pdf_pages_text(order_pdf(document(lines=60), LETTERHEAD))
    assert len(pages) >= 2
    assert all(f"Page {n} sur {len(pages)}" in page for n, page in enumerate(pages, 1))
    assert all("Désignation" in page for page in pages)


def test_a_unit_price_to_the_tenth_of_a_cent_is_printed_as_priced(app):
    line = OrderDocumentLine(
        "RAM-A4", "Ramette A4", "ramette", 10, Decimal("4.2150"), Decimal("0"), Decimal("20"), Decimal("42.15")
    )
    with app.app_context():
        text = flat(pdf_text(order_pdf(document(lines=1, vat=[], lines_override=[line]), LETTERHEAD)))
    assert "4,215 €" in text
