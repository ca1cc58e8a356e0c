"""Reading supplier invoices: Factur-X, CII, UBL 2.1 (Invoice and CreditNote), the spreadsheet
template. The samples in tests/fixtures/invoices/ are copies of shared/data/invoices/."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from groupement.core.timeutil import paris_today
from groupement.invoices.einvoice import MAX_FILE_BYTES, parse_invoice, xml_safety
from groupement.invoices.rules import InvoiceRefused, check_invoice, failures

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "invoices"
CII = "cii_en16931_example1.xml"
FACTURX_PDF = "facturx_en16931_fr.pdf"
FACTURX_XML = "facturx_en16931_fr.xml"
UBL = "ubl21_en16931_fr.xml"
D = Decimal


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def altered(name: str, *replacements: tuple[str, str], count: int = -1) -> bytes:
    text = sample(name).decode("utf-8-sig")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, count)
    return text.encode("utf-8")


def refusal(content: bytes, file_name: str = "facture.xml") -> str:
    with pytest.raises(InvoiceRefused) as caught:
        parse_invoice(content, file_name)
    return " | ".join(caught.value.reasons)


def breakdown(data) -> dict[tuple[str, Decimal], tuple[Decimal, Decimal]]:
    return {(entry.category, entry.rate): (entry.taxable_amount, entry.tax_amount) for entry in data.vat_breakdown}


# --- the samples, with their exact figures ----------------------------------------------------


def test_the_ubl_sample_reads_with_its_parties_lines_allowances_and_totals():
    data = parse_invoice(sample(UBL), UBL)

    assert (data.number, data.type_code, data.source_format, data.currency) == ("F124212", "380", "ubl", "EUR")
    assert (data.issue_date, data.due_date) == (date(2026, 6, 17), date(2026, 7, 16))
    assert (data.seller_name, data.seller_siret, data.seller_vat) == (
        "Au bon moulin",
        "99999999800019",
        "FR11999999998",
    )
    assert (data.buyer_name, data.buyer_siret) == ("Ma jolie boutique SARL", "78787878400018")
    assert data.order_reference == "PO1242"
    assert len(data.lines) == 2
    first, second = data.lines
    assert (first.line_id, first.item_ref, first.description) == ("1", "JOIO50CL", "Huile d'olive Joio 50cl")
    assert (first.quantity, first.unit_price, first.net_amount) == (D("10"), D("13.50"), D("135.00"))
    assert (first.vat_category, first.vat_rate, first.line_allowances, first.line_charges) == (
        "S",
        D("5.50"),
        D("1.50"),
        D("1.50"),
    )
    assert (first.order_ref, first.commune_insee) == ("PO1242", None)
    assert (second.item_ref, second.quantity, second.unit_price, second.net_amount, second.vat_rate) == (
        "NOUGATCUBES",
        D("20"),
        D("6.90"),
        D("138.00"),
        D("20.00"),
    )
    assert [(ac.is_charge, ac.amount, ac.vat_rate, ac.reason) for ac in data.allowances_charges] == [
        (False, D("3.00"), D("20.00"), "Consigne"),
        (False, D("2.50"), D("20.00"), "Réduc fidélité"),
        (True, D("5.50"), D("20.00"), "Surtaxe carburant"),
    ]
    assert (data.line_total, data.allowance_total, data.charge_total, data.tax_exclusive) == (
        D("273.00"),
        D("5.50"),
        D("5.50"),
        D("273.00"),
    )
    assert breakdown(data) == {("S", D("20")): (D("138.00"), D("27.60")), ("S", D("5.5")): (D("135.00"), D("7.43"))}
    assert (data.tax_total, data.tax_inclusive, data.prepaid, data.payable) == (
        D("35.03"),
        D("308.03"),
        D("100.00"),
        D("208.03"),
    )


def test_the_cii_sample_reads_its_twenty_lines_two_rates_and_totals_without_the_optional_blocks():
    data = parse_invoice(sample(CII), CII)

    assert (data.number, data.type_code, data.source_format) == ("12115118", "380", "cii")
    assert (data.issue_date, data.due_date) == (date(2015, 1, 9), date(2015, 1, 9))
    assert (data.seller_name, data.seller_siret, data.seller_vat) == ("De Koksmaat", None, "NL820098395B01")
    assert (data.buyer_name, data.order_reference) == ("ODIN 59", None)
    assert len(data.lines) == 20
    assert [line.line_id for line in data.lines] == [str(n) for n in range(1, 21)]
    assert (data.lines[0].item_ref, data.lines[0].quantity, data.lines[0].unit_price) == ("166022", D(2), D("9.95"))
    assert data.lines[0].net_amount == D("19.90")
    assert data.allowances_charges == ()
    assert (data.line_total, data.allowance_total, data.charge_total, data.tax_exclusive) == (
        D("229.60"),
        0,
        0,
        D("229.60"),
    )
    assert breakdown(data) == {("S", D("6")): (D("183.23"), D("10.99")), ("S", D("21")): (D("46.37"), D("9.74"))}
    assert (data.tax_total, data.tax_inclusive, data.prepaid, data.payable) == (
        D("20.73"),
        D("250.33"),
        0,
        D("250.33"),
    )


def test_the_factur_x_pdf_gives_the_invoice_of_its_embedded_xml():
    from_pdf = parse_invoice(sample(FACTURX_PDF), FACTURX_PDF)
    from_xml = parse_invoice(sample(FACTURX_XML), FACTURX_XML)

    assert from_pdf.source_format == "factur-x"
    assert from_xml.source_format == "cii"
    assert dataclasses.replace(from_pdf, source_format="cii") == from_xml
    assert (from_pdf.number, from_pdf.issue_date, from_pdf.due_date) == (
        "F20260023",
        date(2026, 1, 31),
        date(2026, 3, 2),
    )
    assert (from_pdf.seller_name, from_pdf.seller_siret, from_pdf.seller_vat) == (
        "LE FOURNISSEUR",
        "12345678200077",
        "FR11123456782",
    )
    assert (from_pdf.buyer_name, from_pdf.order_reference) == ("LE CLIENT", "PO201925478")
    assert len(from_pdf.lines) == 3
    second = from_pdf.lines[1]
    assert (second.quantity, second.unit_price, second.price_base_quantity) == (D(3), D(30), D(3))
    assert (second.line_allowances, second.line_charges, second.net_amount) == (D(5), D(3), D("28.00"))
    assert (from_pdf.line_total, from_pdf.allowance_total, from_pdf.charge_total, from_pdf.tax_exclusive) == (
        D("95.00"),
        D("9.00"),
        D("14.00"),
        D("100.00"),
    )
    assert breakdown(from_pdf) == {
        ("S", D("20")): (D("11.00"), D("2.20")),
        ("S", D("10")): (D("27.00"), D("2.70")),
        ("E", D("0")): (D("60.00"), D("0.00")),
        ("K", D("0")): (D("2.00"), D("0.00")),
    }
    assert (from_pdf.tax_total, from_pdf.tax_inclusive, from_pdf.payable) == (D("4.90"), D("104.90"), D("104.90"))
    assert sum(ac.amount for ac in from_pdf.allowances_charges if ac.is_charge) == D("14.00")


def test_a_ubl_credit_note_reads_as_type_381_with_positive_amounts():
    content = altered(
        UBL,
        ("<Invoice ", "<CreditNote "),
        ("</Invoice>", "</CreditNote>"),
        ("schema:xsd:Invoice-2", "schema:xsd:CreditNote-2"),
        ("<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>", "<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>"),
        ("cac:InvoiceLine>", "cac:CreditNoteLine>"),
        ("cbc:InvoicedQuantity", "cbc:CreditedQuantity"),
        ("<cbc:DueDate>2026-07-16</cbc:DueDate>", ""),
        ("<cac:PaymentMeans>", "<cac:PaymentMeans><cbc:PaymentDueDate>2026-07-20</cbc:PaymentDueDate>"),
    )
    data = parse_invoice(content, "avoir.xml")

    assert (data.type_code, data.is_credit_note, data.type_label) == ("381", True, "avoir")
    assert data.due_date == date(2026, 7, 20)
    assert [line.quantity for line in data.lines] == [D(10), D(20)]
    assert (data.tax_exclusive, data.tax_total, data.payable) == (D("273.00"), D("35.03"), D("208.03"))
    assert failures(check_invoice(data)) == []


def test_a_corrective_invoice_keeps_its_type_384():
    data = parse_invoice(altered(UBL, (">380<", ">384<")), "rectificative.xml")

    assert (data.type_code, data.type_label) == ("384", "facture rectificative")


# --- tolerant of form -------------------------------------------------------------------------


def test_indicators_written_0_and_1_read_like_false_and_true():
    ubl = altered(UBL, (">false</cbc:ChargeIndicator>", ">0</cbc:ChargeIndicator>"), (">true<", ">1<"))
    cii = altered(FACTURX_XML, (">false</udt:Indicator>", "> 0 </udt:Indicator>"), (">true<", ">TRUE<"))

    assert parse_invoice(ubl, "a.xml") == parse_invoice(sample(UBL), "a.xml")
    assert parse_invoice(cii, "b.xml") == parse_invoice(sample(FACTURX_XML), "b.xml")


def test_an_indicator_that_is_neither_true_nor_false_is_refused_with_its_value():
    reasons = refusal(altered(UBL, (">true<", ">oui<")))

    assert "indicateur remise/frais" in reasons
    assert "« oui »" in reasons


def test_other_namespace_prefixes_and_currency_attributes_on_every_amount_read_the_same():
    renamed = altered(
        FACTURX_XML, ("ram:", "r:"), ("xmlns:ram=", "xmlns:r="), ("rsm:", "m:"), ("xmlns:rsm=", "xmlns:m=")
    )
    ubl_renamed = altered(UBL, ("cbc:", "b:"), ("xmlns:cbc=", "xmlns:b="), ("cac:", "a:"), ("xmlns:cac=", "xmlns:a="))
    cii_text = sample(CII).decode()
    with_currency = re.sub(r"<(ram:\w*Amount)>", r'<\1 currencyID="EUR">', cii_text)
    assert with_currency.count('currencyID="EUR"') == 49

    assert parse_invoice(renamed, "r.xml") == parse_invoice(sample(FACTURX_XML), "r.xml")
    assert parse_invoice(ubl_renamed, "u.xml") == parse_invoice(sample(UBL), "u.xml")
    assert parse_invoice(with_currency.encode(), "c.xml") == parse_invoice(sample(CII), "c.xml")


def test_missing_optional_totals_count_as_zero_and_an_absent_type_code_means_an_invoice():
    content = altered(
        UBL,
        ("<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>", ""),
        ('<cbc:PrepaidAmount currencyID="EUR">100.00</cbc:PrepaidAmount>', ""),
    )
    data = parse_invoice(content, "sans-acompte.xml")

    assert (data.type_code, data.prepaid, data.payable) == ("380", 0, D("208.03"))
    assert [r.rule for r in failures(check_invoice(data))] == ["BR-CO-16"]


def test_a_byte_order_mark_and_a_utf16_encoding_are_read():
    text = sample(UBL).decode("utf-8-sig").replace('encoding="UTF-8"', 'encoding="UTF-16"')

    assert parse_invoice(text.encode("utf-16"), "utf16.xml").number == "F124212"
    assert sample(FACTURX_XML).startswith(b"\xef\xbb\xbf")
    assert parse_invoice(sample(FACTURX_XML), FACTURX_XML).number == "F20260023"


# --- refused ----------------------------------------------------------------------------------


def test_a_non_euro_invoice_is_refused_with_a_clear_message():
    ubl = altered(UBL, ("<cbc:DocumentCurrencyCode>EUR", "<cbc:DocumentCurrencyCode>USD"), ('"EUR"', '"USD"'))
    cii = altered(CII, ("<ram:InvoiceCurrencyCode>EUR", "<ram:InvoiceCurrencyCode>CHF"))

    assert refusal(ubl, "usd.xml") == (
        "usd.xml : facture en devise « USD » : seules les factures en euros (EUR) sont acceptées ; "
        "demandez au fournisseur une facture en euros"
    )
    assert "facture en devise « CHF »" in refusal(cii)


def test_an_amount_in_another_currency_inside_a_euro_invoice_is_refused():
    content = altered(UBL, ('<cbc:PayableAmount currencyID="EUR">', '<cbc:PayableAmount currencyID="GBP">'))

    assert "montant à payer (BT-115) exprimé en « GBP »" in refusal(content)


def test_an_invoice_without_currency_is_refused():
    assert "devise de la facture (BT-5) absente" in refusal(
        altered(UBL, ("<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>", ""))
    )


def test_an_external_entity_is_refused_without_reading_the_file(tmp_path, monkeypatch):
    secret = tmp_path / "secret.txt"
    secret.write_text("MOT-DE-PASSE-SECRET", encoding="utf-8")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>&xxe;</ID></Invoice>'
    ).encode()
    passwd = b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>'

    assert "DOCTYPE" in refusal(xxe)
    assert "DOCTYPE" in refusal(passwd)
    # Even when the byte scan is bypassed, the parser neither reads the file nor accepts the DTD.
    monkeypatch.setattr(xml_safety, "_DOCTYPE", re.compile(rb"(?!)"))
    reasons = refusal(xxe)
    assert "DOCTYPE" in reasons
    assert "MOT-DE-PASSE-SECRET" not in reasons


def test_a_billion_laughs_is_refused_before_any_expansion(monkeypatch):
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10)
    )
    bomb = f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]><lolz>&lol9;</lolz>'.encode()

    assert "DOCTYPE" in refusal(bomb)
    assert "DOCTYPE" in refusal(bomb.decode().encode("utf-16"))
    # Without the byte scan, libxml2 stops the expansion itself (entity amplification limit).
    monkeypatch.setattr(xml_safety, "_DOCTYPE", re.compile(rb"(?!)"))
    assert refusal(bomb).startswith("facture.xml : XML mal formé")


def test_malformed_xml_is_refused_with_the_line_of_the_error():
    reasons = refusal(sample(UBL)[:3000], "coupé.xml")

    assert reasons.startswith("coupé.xml : XML mal formé (ligne ")


def test_an_xml_that_is_not_an_invoice_is_refused_with_its_root():
    assert refusal(b"<commande><id>1</id></commande>") == (
        "facture.xml : XML non reconnu (élément racine « commande ») : une facture CII ou UBL 2.1 est attendue"
    )


def test_files_beyond_the_size_or_element_limits_are_refused(monkeypatch):
    assert "fichier trop volumineux" in refusal(b"<a>" + b" " * (MAX_FILE_BYTES + 1) + b"</a>")
    assert "fichier trop volumineux" in refusal(b"<a>" + b" " * (xml_safety.MAX_XML_BYTES + 1) + b"</a>")
    monkeypatch.setattr(xml_safety, "MAX_XML_ELEMENTS", 100)
    assert "XML trop volumineux (plus de 100 éléments)" in refusal(sample(UBL))


def test_missing_number_date_and_lines_are_all_named():
    content = altered(UBL, ("<cbc:ID>F124212</cbc:ID>", ""), ("<cbc:IssueDate>2026-06-17</cbc:IssueDate>", ""))
    text = content.decode()
    start, end = text.index("<cac:InvoiceLine>"), text.rindex("</cac:InvoiceLine>") + len("</cac:InvoiceLine>")
    reasons = refusal((text[:start] + text[end:]).encode(), "vide.xml")

    assert reasons == (
        "vide.xml : numéro de facture (BT-1) absent | vide.xml : date de facture (BT-2) absente | "
        "vide.xml : aucune ligne de facture"
    )


def test_a_missing_mandatory_total_is_refused():
    content = altered(CII, ("<ram:GrandTotalAmount>250.33</ram:GrandTotalAmount>", ""))

    assert refusal(content) == "facture.xml : total TTC (BT-112) absent"


def test_an_unreadable_amount_names_the_line_and_the_field():
    content = altered(
        UBL, ('<cbc:LineExtensionAmount currencyID="EUR">138.00<', '<cbc:LineExtensionAmount currencyID="EUR">douze<')
    )

    assert refusal(content) == "facture.xml : montant net de la ligne 2 (BT-131) : « douze » n'est pas un nombre"


def test_a_type_code_outside_the_en16931_list_is_refused_naming_bt_3():
    reasons = refusal(altered(UBL, (">380<", ">999<")))

    assert "type de document (BT-3) « 999 » inconnu de la norme EN 16931" in reasons
    assert "380 facture, 381 avoir, 384 facture rectificative" in reasons


def test_a_pdf_without_embedded_xml_is_refused():
    from weasyprint import HTML

    reasons = refusal(HTML(string="<p>Facture papier</p>").write_pdf(), "scan.pdf")

    assert reasons.startswith("scan.pdf : ce PDF ne contient pas de facture électronique (aucun XML Factur-X embarqué)")


def test_a_broken_pdf_is_refused():
    assert refusal(b"%PDF-1.7\n garbage \x00\x01", "cassé.pdf") == "cassé.pdf : PDF endommagé ou illisible"


def test_an_unknown_format_is_refused_with_the_accepted_ones():
    assert refusal(b"\x89PNG\r\n\x1a\n\x00\x00", "photo.png") == (
        "photo.png : format non reconnu ; formats acceptés : Factur-X (PDF), UBL 2.1 ou CII (XML), "
        "modèle tableur (.xlsx ou .csv)"
    )
    assert refusal(b"", "vide.pdf") == "vide.pdf : le fichier est vide"


# --- the spreadsheet template -----------------------------------------------------------------

HEADER = [
    "numero_facture",
    "date_facture",
    "fournisseur_siret",
    "numero_commande",
    "code_insee",
    "ref_article",
    "designation",
    "quantite",
    "prix_unitaire_ht",
    "taux_tva",
]
ROWS = [
    [
        "FA-2027-001",
        "15/03/2027",
        "12345678200077",
        "BC-38053-2027-0001",
        "38053",
        "PC-01",
        "Portable",
        "3",
        "712,50",
        "20",
    ],
    [
        "FA-2027-001",
        "15/03/2027",
        "12345678200077",
        "BC-38053-2027-0001",
        "38053",
        "ECR-24",
        "Écran 24",
        "2",
        "129,99",
        "20",
    ],
    [
        "FA-2027-001",
        "15/03/2027",
        "12345678200077",
        "BC-38193-2027-0004",
        "38193",
        "RAM-01",
        "Ramette",
        "10",
        "3,333",
        "5,5",
    ],
]


def csv_bytes(header=HEADER, rows=ROWS, delimiter=";", encoding="utf-8-sig") -> bytes:
    return "\r\n".join(delimiter.join(row) for row in [header, *rows]).encode(encoding)


def xlsx_bytes(header=HEADER, rows=ROWS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_csv_template_reads_one_line_per_row_and_computes_the_totals():
    data = parse_invoice(csv_bytes(), "facture.csv")

    assert (data.number, data.type_code, data.issue_date, data.source_format) == (
        "FA-2027-001",
        "380",
        date(2027, 3, 15),
        "csv",
    )
    assert (data.seller_siret, data.currency, data.order_reference) == ("12345678200077", "EUR", None)
    assert [(line.line_id, line.order_ref, line.commune_insee, line.net_amount) for line in data.lines] == [
        ("2", "BC-38053-2027-0001", "38053", D("2137.50")),
        ("3", "BC-38053-2027-0001", "38053", D("259.98")),
        ("4", "BC-38193-2027-0004", "38193", D("33.33")),
    ]
    assert breakdown(data) == {("S", D("20")): (D("2397.48"), D("479.50")), ("S", D("5.5")): (D("33.33"), D("1.83"))}
    assert (data.line_total, data.tax_exclusive, data.tax_total, data.tax_inclusive, data.payable) == (
        D("2430.81"),
        D("2430.81"),
        D("481.33"),
        D("2912.14"),
        D("2912.14"),
    )
    assert failures(check_invoice(data)) == []


def test_the_xlsx_template_reads_like_the_csv_with_number_and_date_cells():
    rows = [list(row) for row in ROWS]
    for row in rows:
        row[1] = datetime(2027, 3, 15)
        row[2] = 12345678200077
        row[4] = int(row[4])
        row[7] = int(row[7])
        row[8] = float(row[8].replace(",", "."))
    rows[2][9] = 0.055  # a percentage cell
    rows[0][9] = 0.2

    from_xlsx = parse_invoice(xlsx_bytes(rows=rows), "facture.xlsx")
    from_csv = parse_invoice(csv_bytes(), "facture.csv")

    assert from_xlsx.source_format == "xlsx"
    assert dataclasses.replace(from_xlsx, source_format="csv") == from_csv


def test_titles_with_accents_and_spaces_a_comma_separator_and_windows_1252_are_read():
    header = [
        "Numéro facture",
        "Date facture",
        "Fournisseur SIRET",
        "Numéro commande",
        "Code INSEE",
        "Réf article",
        "Désignation",
        "Quantité",
        "Prix unitaire HT",
        "Taux TVA",
        "Remarque",
    ]
    rows = [[*row[:8], row[8].replace(",", "."), row[9].replace(",", "."), "à livrer"] for row in ROWS]

    data = parse_invoice(csv_bytes(header, rows, ",", "cp1252"), "export.csv")

    assert data.line_total == D("2430.81")
    assert data.lines[1].description == "Écran 24"


def test_a_code_insee_typed_as_a_number_gets_its_leading_zero_back():
    rows = [list(ROWS[0])]
    rows[0][1] = datetime(2027, 3, 15)
    rows[0][4] = 1053

    assert parse_invoice(xlsx_bytes(rows=rows), "f.xlsx").lines[0].commune_insee == "01053"


def test_template_errors_name_the_row_and_the_column():
    rows = [list(row) for row in ROWS]
    rows[0][7] = "trois"
    rows[1][4] = "3805"
    rows[2][0] = "FA-2027-002"
    rows[2][9] = "150"

    reasons = refusal(csv_bytes(rows=rows), "facture.csv")

    assert reasons.split(" | ") == [
        "facture.csv, ligne 2, colonne « quantite » : « trois » n'est pas un nombre",
        "facture.csv, ligne 3, colonne « code_insee » : Code INSEE invalide « 3805 » : 5 caractères attendus",
        "facture.csv, ligne 4, colonne « numero_facture » : valeur différente de celle de la ligne 2 "
        "(« FA-2027-001 ») : un fichier ne contient qu'une facture, dont ces colonnes sont répétées à "
        "l'identique sur chaque ligne",
        "facture.csv, ligne 4, colonne « taux_tva » : taux de TVA hors de 0 à 100 (« 150 »)",
    ]


def test_template_errors_in_an_xlsx_name_the_excel_row():
    rows = [list(row) for row in ROWS]
    rows[1][2] = "12345678200078"
    rows[2][8] = ""

    reasons = refusal(xlsx_bytes(rows=rows), "facture.xlsx")

    assert reasons.split(" | ") == [
        "facture.xlsx, ligne 3, colonne « fournisseur_siret » : SIRET invalide « 12345678200078 » : clé de "
        "contrôle incorrecte",
        "facture.xlsx, ligne 4, colonne « prix_unitaire_ht » : valeur obligatoire absente",
    ]


def test_a_template_without_a_required_column_names_it_in_the_header_row():
    header = [title for title in HEADER if title != "code_insee"]
    rows = [[value for title, value in zip(HEADER, row, strict=True) if title != "code_insee"] for row in ROWS]

    assert refusal(csv_bytes(header, rows), "f.csv") == (
        "f.csv, ligne 1, colonne « code_insee » : colonne obligatoire absente de l'en-tête"
    )


def test_a_declared_line_amount_is_kept_and_checked_against_quantity_times_price():
    header = [*HEADER, "montant_ht", "type_facture"]
    rows = [[*row, amount, "avoir"] for row, amount in zip(ROWS, ["2137,50", "259,90", ""], strict=True)]

    data = parse_invoice(csv_bytes(header, rows), "avoir.csv")

    assert data.type_code == "381"
    assert [line.net_amount for line in data.lines] == [D("2137.50"), D("259.90"), D("33.33")]
    [failure] = failures(check_invoice(data))
    assert failure.rule == "PEPPOL-EN16931-R120"
    # The invoice's 2nd line, on the file's 3rd row (issue 12, item 10).
    assert failure.message.startswith(
        "PEPPOL-EN16931-R120 : ligne 2 (ligne 3 du fichier), le montant net déclaré (259,90\u00a0€)"
    )


def test_an_ods_file_is_refused_with_advice():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<x/>")

    assert "classeur OpenDocument (.ods)" in refusal(buffer.getvalue(), "facture.ods")


# --- odd values and implausible dates (issue 13): a French refusal, never an overflow ----------

ODD_FIGURES = [
    ("1e30", "« 1e30 » est trop grand (10 chiffres au plus avant la virgule)"),
    ("9" * 30, "est trop grand"),
    ("1e999999", "« 1e999999 » est trop grand"),
    ("0.0000001", "« 0.0000001 » serait arrondi à 0 avec 4 décimales : valeur refusée plutôt qu'effacée"),
    ("NaN", "« NaN » n'est pas un nombre"),
    ("\uff12", "chiffre « \uff12 » refusé dans « \uff12 » (chiffres 0 à 9 attendus)"),
    ("\u00b2", "chiffre « \u00b2 » refusé"),
    ("\u0663", "chiffre « \u0663 » refusé"),
]


@pytest.mark.parametrize(("odd", "reason"), ODD_FIGURES)
def test_an_odd_ubl_quantity_is_refused_naming_the_invoice_line_and_the_field(odd, reason):
    content = altered(UBL, ('<cbc:InvoicedQuantity unitCode="C62">20<', f'<cbc:InvoicedQuantity unitCode="C62">{odd}<'))

    reasons = refusal(content)

    assert reasons.startswith("facture.xml : quantité de la ligne 2 (BT-129) : ") and reason in reasons


@pytest.mark.parametrize(
    ("odd", "reason"),
    [
        ("1e30", "« 1e30 » est trop grand (12 chiffres au plus avant la virgule)"),
        ("9" * 30, "est trop grand (12 chiffres"),
        ("1e999999", "est trop grand"),
        ("0.001", "« 0.001 » serait arrondi à 0 avec 2 décimales"),
        ("138.001", "« 138.001 » a trop de décimales (2 au plus)"),
    ],
)
def test_an_odd_ubl_amount_is_refused_naming_the_invoice_line_and_the_field(odd, reason):
    content = altered(
        UBL, ('<cbc:LineExtensionAmount currencyID="EUR">138.00<', f'<cbc:LineExtensionAmount currencyID="EUR">{odd}<')
    )

    reasons = refusal(content)

    assert reasons.startswith("facture.xml : montant net de la ligne 2 (BT-131) : ") and reason in reasons


def test_an_odd_ubl_price_is_held_to_the_four_decimals_of_a_unit_price():
    content = altered(UBL, ('<cbc:PriceAmount currencyID="EUR">6.90<', '<cbc:PriceAmount currencyID="EUR">1e15<'))

    assert refusal(content) == "facture.xml : prix net de la ligne 2 (BT-146) : « 1e15 » est trop grand " + (
        "(10 chiffres au plus avant la virgule)"
    )
    assert parse_invoice(
        altered(UBL, ('<cbc:PriceAmount currencyID="EUR">6.90<', '<cbc:PriceAmount currencyID="EUR">6.9000<')), UBL
    ).lines[1].unit_price == D("6.9")


def test_odd_cii_figures_are_refused_naming_the_invoice_line_and_the_field():
    content = altered(
        CII,
        ('<ram:BilledQuantity unitCode="H87">2<', '<ram:BilledQuantity unitCode="H87">1e999999<'),
        ("<ram:ChargeAmount>9.85<", "<ram:ChargeAmount>\uff19.85<"),
        count=1,
    )

    reasons = refusal(content).split(" | ")

    assert "facture.xml : quantité de la ligne 1 (BT-129) : « 1e999999 » est trop grand" in reasons[0]
    assert any("prix net de la ligne 2 (BT-146) : chiffre « \uff19 » refusé" in r for r in reasons)


@pytest.mark.parametrize(
    ("column", "odd", "reason"),
    [
        (7, "1e30", "« 1e30 » est trop grand (10 chiffres au plus avant la virgule)"),
        (7, "9" * 30, "est trop grand"),
        (7, "1e999999", "est trop grand"),
        (7, "0,0000001", "« 0,0000001 » serait arrondi à 0 avec 4 décimales"),
        (7, "\uff12", "chiffre « \uff12 » refusé"),
        (7, "\u00b2", "chiffre « \u00b2 » refusé"),
        (7, "\u0663", "chiffre « \u0663 » refusé"),
        (8, "1e30", "est trop grand (10 chiffres"),
        (8, "1e-999999", "serait arrondi à 0 avec 4 décimales"),
        (9, "1e999999", "est trop grand"),
    ],
)
def test_an_odd_csv_figure_is_refused_naming_the_row_and_the_column(column, odd, reason):
    rows = [list(row) for row in ROWS]
    rows[0][column] = odd

    reasons = refusal(csv_bytes(rows=rows), "facture.csv")

    assert reasons.startswith(f"facture.csv, ligne 2, colonne « {HEADER[column]} » : ")
    assert reason in reasons


def test_an_odd_csv_line_amount_is_refused_and_a_product_too_large_for_an_amount_too():
    header = [*HEADER, "montant_ht"]
    rows = [[*row, ""] for row in ROWS]
    rows[0][10] = "1e30"
    rows[1][7], rows[1][8] = "9999999999", "9999999999"

    reasons = refusal(csv_bytes(header=header, rows=rows), "facture.csv").split(" | ")

    assert reasons[0].startswith("facture.csv, ligne 2, colonne « montant_ht » : « 1e30 » est trop grand")
    assert reasons[1] == (
        "facture.csv, ligne 3, colonne « quantite » : quantité × prix unitaire trop grand pour un montant de facture"
    )


@pytest.mark.parametrize("odd", ["0001-01-01", "9999-12-31", "1999-12-31"])
def test_an_implausible_ubl_issue_date_is_refused_in_french(odd):
    content = altered(UBL, ("<cbc:IssueDate>2026-06-17<", f"<cbc:IssueDate>{odd}<"))

    reasons = refusal(content)

    assert reasons.startswith(f"facture.xml : date de facture (BT-2) : date invraisemblable « {odd[8:]}/{odd[5:7]}/")
    assert "entre le 01/01/2000 et le " in reasons


def test_implausible_cii_and_csv_due_dates_are_refused_and_a_due_date_years_ahead_is_not():
    cii = altered(CII, ('<udt:DateTimeString format="102">20150109<', '<udt:DateTimeString format="102">00010101<'))
    assert "date de facture (BT-2) : date invraisemblable « 01/01/0001 »" in refusal(cii)
    header = [*HEADER, "date_echeance"]
    rows = [[*row, "31/12/9999"] for row in ROWS]
    reasons = refusal(csv_bytes(header=header, rows=rows), "facture.csv").split(" | ")
    assert reasons[0].startswith(
        "facture.csv, ligne 2, colonne « date_echeance » : date invraisemblable « 31/12/9999 »"
    )
    today = paris_today()
    in_three_years = today.replace(year=today.year + 3, day=1).strftime("%d/%m/%Y")
    data = parse_invoice(csv_bytes(header=header, rows=[[*row, in_three_years] for row in ROWS]), "facture.csv")
    assert data.due_date.strftime("%d/%m/%Y") == in_three_years


def test_a_date_written_with_full_width_digits_is_refused():
    rows = [list(row) for row in ROWS]
    for row in rows:
        row[1] = "\uff11\uff15/03/2027"

    assert "date illisible « \uff11\uff15/03/2027 »" in refusal(csv_bytes(rows=rows), "facture.csv")
