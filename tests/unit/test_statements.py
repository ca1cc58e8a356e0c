"""Invoice outputs: the commune's statement (xlsx, PDF), the recovery titles for the accounting
software (CSV, xlsx) and the board export. Plain data in, bytes out."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook
from pypdf import PdfReader

from groupement.core.files.pdf import Letterhead
from groupement.invoices.statements import (
    BoardRow,
    StatementDocument,
    StatementLine,
    StatementTitle,
    TitleRow,
    invoices_board_xlsx,
    statement_pdf,
    statement_xlsx,
    titles_csv,
    titles_xlsx,
)
from tests.pdf_reading import pdf_pages_text, pdf_text, pdf_to_png


def statement(**changes) -> StatementDocument:
    values = {
        "invoice_number": "F2027-0042",
        "invoice_kind": "facture",
        "invoice_date": date(2027, 3, 10),
        "supplier": "Informatique Dauphiné",
        "invoice_total_ttc": Decimal("12345.67"),
        "commune_name": "Bourgoin-Jallieu",
        "commune_insee": "38053",
        "commune_siren": "213800534",
        "key_label": "au prorata de la population",
        "lines": [
            StatementLine("L1", "Ordinateur portable 14 pouces", "2183", Decimal("20.00"), Decimal("1528.20"), False),
            StatementLine("L2", "Ramettes A4 (lot commun)", "6064", Decimal("5.50"), Decimal("63.45"), True),
            StatementLine("R1", '=HYPERLINK("http://x")', None, Decimal("20.00"), Decimal("-10.00"), True),
        ],
        "vat": [
            (Decimal("5.50"), Decimal("63.45"), Decimal("3.49")),
            (Decimal("20.00"), Decimal("1518.20"), Decimal("303.64")),
        ],
        "total_ht": Decimal("1581.65"),
        "total_vat": Decimal("307.13"),
        "total_ttc": Decimal("1888.78"),
        "issued_on": date(2027, 4, 1),
    }
    values.update(changes)
    return StatementDocument(**values)


def cells(content: bytes) -> list[tuple]:
    """The sheet's values, numbers read back as Decimal from their shortest repr (exactly what was written)."""
    sheet = load_workbook(io.BytesIO(content)).active
    return [
        tuple(Decimal(repr(v)) if isinstance(v, float | int) and not isinstance(v, bool) else v for v in row)
        for row in sheet.iter_rows(values_only=True)
    ]


def test_the_statement_workbook_names_the_invoice_the_key_and_each_line_with_its_m57_account():
    rows = cells(statement_xlsx(statement()))
    assert rows[0][0] == "État de répartition — facture n° F2027-0042 — Bourgoin-Jallieu"
    facts = {row[0]: row[1] for row in rows[1:7]}
    assert facts["Facture"] == "Facture n° F2027-0042 du 10/03/2027"
    assert facts["Clé de répartition"] == "au prorata de la population"
    assert facts["Commune"] == "Bourgoin-Jallieu (INSEE 38053, SIREN 213800534)"
    header = rows.index(("Ligne", "Désignation", "Origine", "Compte M57", "TVA", "Montant HT"))
    lines = rows[header + 1 : header + 4]
    assert [(r[0], r[2], r[3], r[5]) for r in lines] == [
        ("L1", "ligne entière", "2183", Decimal("1528.20")),
        ("L2", "quote-part", "6064", Decimal("63.45")),
        ("R1", "quote-part", None, Decimal("-10.00")),
    ]
    assert lines[2][1] == '\'=HYPERLINK("http://x")'  # never run as a formula


def test_the_statement_workbook_totals_ht_vat_per_rate_and_ttc_as_exact_numbers():
    rows = cells(statement_xlsx(statement()))
    totals = {row[4]: row[5] for row in rows if row[4] and isinstance(row[5], Decimal) and row[0] is None}
    assert totals["Total HT"] == Decimal("1581.65")
    assert totals["TVA 5,5\u00a0% sur 63,45\u00a0€"] == Decimal("3.49")
    assert totals["TVA 20\u00a0% sur 1\u202f518,20\u00a0€"] == Decimal("303.64")
    assert totals["Total TTC"] == Decimal("1888.78")
    sheet = load_workbook(io.BytesIO(statement_xlsx(statement()))).active
    ttc = next(row for row in sheet.iter_rows() if row[4].value == "Total TTC")
    assert ttc[5].number_format == '#,##0.00\\ "€"'


LETTERHEAD = Letterhead(
    name="Communauté d'agglomération Porte de l'Isère",
    address_lines=("17 avenue du Bourg", "38080 L'Isle-d'Abeau"),
    siret="20004267900017",
)


def flat(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def test_the_statement_pdf_carries_the_letterhead_the_lines_and_the_totals(app):
    ordered = StatementLine(
        "L1",
        "Ordinateur portable 14 pouces",
        "2183",
        Decimal("20.00"),
        Decimal("1528.20"),
        False,
        quantity=Decimal("2"),
        unit_price=Decimal("764.1000"),
        order_number="BC-38053-2027-0042",
    )
    document = statement(certifier_name="Claire Coordinatrice", certifier_function="Directrice de la commande publique")
    document = StatementDocument(**{**document.__dict__, "lines": [ordered, *document.lines[1:]]})
    with app.app_context():
        content = statement_pdf(document, LETTERHEAD)
    assert len(pdf_to_png(content, "etat-de-repartition")) == 1
    assert (
        PdfReader(io.BytesIO(content)).metadata.title
        == "État de répartition — facture n° F2027-0042 — Bourgoin-Jallieu"
    )
    text = flat(pdf_text(content))
    assert "Communauté d'agglomération Porte de l'Isère" in text and "SIRET 20004267900017" in text
    assert "État de répartition" in text and "Facture n° F2027-0042 — Bourgoin-Jallieu · le 01/04/2027" in text
    assert "Clé de répartition au prorata de la population" in text
    assert "BC-38053-2027-0042 2 764,10 €" in text  # the line's order, quantity and unit price
    assert "ligne entière 2183 20 % 1 528,20 €" in text
    assert "6064" in text and "quote-part" in text
    assert "Total HT 1 581,65 €" in text and "TVA 5,5 % sur 63,45 € 3,49 €" in text
    assert "Total TTC dû par la commune 1 888,78 €" in text
    assert "Certifié exact" in text
    assert "Nom : Claire Coordinatrice" in text and "Fonction : Directrice de la commande publique" in text
    assert "Le 01/04/2027" in text and "Signature et cachet" in text
    assert "Page 1 sur 1" in text


def test_a_long_statement_runs_over_numbered_pages_with_its_header_repeated(app):
    many = [StatementLine(f"L{i}", "Ramette A4", "6064", Decimal("20.00"), Decimal("4.20"), True) for i in range(120)]
    with app.app_context():
        pages = pdf_pages_text(statement_pdf(statement(lines=many), LETTERHEAD))
    assert len(pages) >= 3
    assert all(f"Page {n} sur {len(pages)}" in page for n, page in enumerate(pages, 1))
    assert all("Montant HT" in page for page in pages)
    assert "Certifié exact" in pages[-1]


def titles() -> list[TitleRow]:
    return [
        TitleRow(
            "TR-2027-00001",
            "Bourgoin-Jallieu",
            "213800534",
            "Remboursement de la facture F2027-0042",
            Decimal("1888.78"),
            "2183",
            "F2027-0042",
            date(2027, 5, 1),
            Decimal("1000.00"),
        ),
        TitleRow(
            "TR-2027-00002",
            "Crachier",
            "213801367",
            "-avoir; « régularisation »",
            Decimal("-12.50"),
            "6064",
            "AV-7",
            date(2027, 5, 1),
        ),
    ]


def test_the_titles_csv_follows_the_french_convention_with_the_title_number():
    rows = [
        *titles(),
        TitleRow(
            "TR-2027-00003",
            "Crachier",
            "213801367",
            "Annulation du titre TR-2027-00002 : doublon",
            Decimal("1659.47"),
            "6064",
            "AV-7",
            date(2027, 11, 28),
            nature="annulation",
            cancels="TR-2027-00002",
        ),
    ]
    content = titles_csv(rows)
    assert content.startswith("\ufeff".encode())
    lines = content.decode("utf-8-sig").split("\r\n")
    assert lines[0] == (
        "numero_titre;nature;titre_annule;siren_commune;commune;objet;montant_ttc;compte;"
        "reference_facture;date_echeance;etat"
    )
    assert lines[1] == (
        "TR-2027-00001;titre;;213800534;Bourgoin-Jallieu;Remboursement de la facture F2027-0042;1888,78;2183;"
        "F2027-0042;01/05/2027;"
    )
    assert lines[2] == (
        'TR-2027-00002;titre;;213801367;Crachier;"\'-avoir; « régularisation »";-12,50;6064;AV-7;01/05/2027;'
    )
    assert lines[3] == (
        "TR-2027-00003;annulation;TR-2027-00002;213801367;Crachier;Annulation du titre TR-2027-00002 : doublon;"
        "1659,47;6064;AV-7;28/11/2027;"
    )
    assert lines[4:] == [""]
    assert "1659.47" not in content.decode("utf-8-sig")


def test_the_titles_workbook_adds_the_number_the_commune_and_what_is_left_to_collect():
    rows = cells(titles_xlsx(titles()))
    assert rows[0][:3] == ("N° de titre", "Commune", "SIREN de la commune")
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Montant TTC"] == Decimal("1888.78")
    assert first["Encaissé"] == Decimal("1000.00") and first["Reste à encaisser"] == Decimal("888.78")
    assert first["Date d'échéance"].date() == date(2027, 5, 1)
    assert rows[2][3] == "'-avoir; « régularisation »"


def test_the_board_export_ends_with_a_totals_row():
    row = BoardRow(
        "F1",
        "facture",
        date(2027, 1, 5),
        "Informatique Dauphiné",
        "répartie",
        Decimal("100.00"),
        Decimal("20.00"),
        Decimal("120.00"),
        "2027-L01-7",
        "f1.xml",
    )
    credit = BoardRow(
        "AV1",
        "avoir",
        date(2027, 1, 6),
        "Informatique Dauphiné",
        "importée",
        Decimal("-10.00"),
        Decimal("-2.00"),
        Decimal("-12.00"),
        "",
        "av1.pdf",
    )
    rows = cells(invoices_board_xlsx([row, credit]))
    assert rows[0][0] == "N° de facture"
    assert rows[1][:2] == ("F1", "facture") and rows[2][0] == "AV1"
    assert rows[3][0] == "Total (2 factures)"
    assert rows[3][5:8] == (Decimal("90.00"), Decimal("18.00"), Decimal("108.00"))


def test_the_statement_pdf_lists_the_title_and_its_counter_title(app):
    document = statement(
        titles=[
            StatementTitle("TR-2027-00001", "titre de recettes", Decimal("1888.78"), date(2027, 5, 1), "annulé"),
            StatementTitle(
                "TR-2027-00009",
                "titre d'annulation du titre TR-2027-00001 (mauvaise clé)",
                Decimal("-1888.78"),
                date(2027, 5, 1),
                "",
            ),
        ]
    )
    with app.app_context():
        text = flat(pdf_text(statement_pdf(document, LETTERHEAD)))
    assert "TR-2027-00001 — titre de recettes — 1 888,78 €, échéance le 01/05/2027, annulé" in text
    assert "TR-2027-00009 — titre d'annulation du titre TR-2027-00001 (mauvaise clé) — -1 888,78 €" in text
