"""The spreadsheet template (.xlsx first sheet, or CSV UTF-8 or Windows-1252, ';' or ','). One row
per invoice line; the invoice's own fields are repeated on every row and must be the same on
all rows (one invoice per file). The header row is found in the first 20 rows; titles are read
without accents, case or spaces ("Numéro facture" = numero_facture); unknown columns are ignored.

- required columns: numero_facture, date_facture (28/11/2026 or 2026-11-28, or a date cell),
  fournisseur_siret, numero_commande, code_insee, ref_article, designation, quantite,
  prix_unitaire_ht, taux_tva (20, 20 %, 5,5; a percentage cell 0,2 or 0,055 is read as 20 or
  5,5). Values: all required but ref_article and designation, of which one at least.
- optional columns: type_facture (380/381/384 or facture/avoir/facture rectificative, default
  380), date_echeance, fournisseur_nom, fournisseur_tva, acheteur_nom, acheteur_siret,
  categorie_tva (default S, or E at 0 %), montant_ht (the line's net as the supplier computed it:
  when given it is kept and checked against quantity × price by check_invoice; when empty the
  net is quantity × price rounded to the cent), code_service (BT-10: the commune's Chorus Pro
  service code, or its engagement number; numero_commande may hold the order number or the
  engagement number, BT-13), ligne_partagee (oui/non: a shared line, delivery or fees, tied to no
  order nor commune: numero_commande and code_insee left empty; it is read as a document charge,
  BG-21, that the split shares among the communes by the allocation key).
- a spreadsheet declares no totals: they are computed (BT-106 = Σ nets; per category and rate,
  base = Σ nets and VAT = base × rate rounded once; BT-109 = BT-106; BT-112 = BT-109 + VAT;
  nothing prepaid), so check_invoice can only find wrong line nets in it. The shared lines are the
  document charges (BT-108 = their sum, counted in each rate's base and in BT-109); there are no
  document allowances; the currency is the euro. line_id is the spreadsheet row number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from groupement.core.files.xlsx import cell_text
from groupement.core.identifiers import clean_insee, clean_siret
from groupement.core.imports import ImportIssue
from groupement.core.money import line_amount
from groupement.core.numbers import MONEY, fits
from groupement.invoices.einvoice.common import (
    EURO,
    MAX_DESCRIPTION_LENGTH,
    MAX_NUMBER_LENGTH,
    MAX_REASON_LENGTH,
    clip,
    refused,
    vat_number,
)
from groupement.invoices.einvoice.spreadsheet_cells import (
    _digits,
    _identifier,
    _invoice_number,
    _name,
    _plausible,
    _reference,
    _sheet_amount,
    _sheet_price,
    _sheet_quantity,
    _sheet_rate,
    _sheet_type,
    _SpreadsheetRow,
    _yes_no,
    blank,
)
from groupement.invoices.einvoice.spreadsheet_files import HEADER_SEARCH_ROWS, column_key
from groupement.invoices.rules import (
    ZERO,
    AllowanceCharge,
    InvoiceData,
    InvoiceLineData,
    InvoiceRefused,
    VatBreakdown,
    vat_amount,
)

XLSX = "xlsx"
CSV = "csv"
REQUIRED_COLUMNS = (
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
)
OPTIONAL_COLUMNS = (
    "type_facture",
    "date_echeance",
    "fournisseur_nom",
    "fournisseur_tva",
    "acheteur_nom",
    "acheteur_siret",
    "categorie_tva",
    "montant_ht",
    "code_service",
    "ligne_partagee",
)
DOCUMENT_COLUMNS = (
    "numero_facture",
    "date_facture",
    "fournisseur_siret",
    "type_facture",
    "date_echeance",
    "fournisseur_nom",
    "fournisseur_tva",
    "acheteur_nom",
    "acheteur_siret",
    "code_service",
)
MAX_BUYER_REFERENCE_LENGTH = 100  # Invoice.buyer_reference


def parse_spreadsheet(rows: list[tuple[int, list]], file_name: str, source_format: str) -> InvoiceData:
    header_index = next(
        (
            index
            for index, (_, values) in enumerate(rows[:HEADER_SEARCH_ROWS])
            if "numero_facture" in [column_key(v) for v in values]
        ),
        None,
    )
    if header_index is None:
        raise refused(
            file_name,
            "en-tête du modèle de facture introuvable : la première ligne doit porter les colonnes "
            + ", ".join(REQUIRED_COLUMNS),
        )
    header_row, titles = rows[header_index]
    keys = [column_key(title) for title in titles]
    issues = [
        ImportIssue(file_name, header_row, column, "colonne obligatoire absente de l'en-tête")
        for column in REQUIRED_COLUMNS
        if column not in keys
    ]
    duplicates = sorted({key for key in keys if key and keys.count(key) > 1})
    issues += [ImportIssue(file_name, header_row, key, "colonne en double dans l'en-tête") for key in duplicates]
    if issues:
        raise InvoiceRefused(issues)
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    positions = {key: index for index, key in enumerate(keys) if key in known}

    issues = []
    document: dict[str, tuple[int, object]] = {}  # column -> (first row, parsed value)
    lines: list[InvoiceLineData] = []
    shared: list[AllowanceCharge] = []
    for row_number, values in rows[header_index + 1 :]:
        cells = {key: values[index] if index < len(values) else None for key, index in positions.items()}
        if all(blank(value) for value in cells.values()):
            continue
        row = _SpreadsheetRow(file_name, row_number, cells, issues)
        _document_cells(row, document)
        line = _line_cells(row)
        if isinstance(line, AllowanceCharge):
            shared.append(line)
        elif line is not None:
            lines.append(line)
    if not lines and not issues:
        issues.append(
            ImportIssue(
                file_name,
                None,
                None,
                "aucune ligne de facture rattachée à une commande après l'en-tête"
                + (" (les lignes partagées s'ajoutent aux lignes des commandes)" if shared else ""),
            )
        )
    if issues:
        raise InvoiceRefused(issues)

    def value(column: str, default=None):
        found = document.get(column, (None, None))[1]
        return default if found is None else found

    line_total = sum((line.net_amount for line in lines), ZERO)
    charge_total = sum((charge.amount for charge in shared), ZERO)
    bases: dict[tuple[str, Decimal], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        bases[(line.vat_category, line.vat_rate)] += line.net_amount
    for charge in shared:
        bases[(charge.vat_category, charge.vat_rate)] += charge.amount
    breakdown = tuple(
        VatBreakdown(category, rate, base, vat_amount(base, category, rate))
        for (category, rate), base in sorted(bases.items(), key=lambda item: (-item[0][1], item[0][0]))
    )
    tax_total = sum((entry.tax_amount for entry in breakdown), ZERO)
    if not fits(line_total + charge_total + tax_total, MONEY):
        raise refused(file_name, "total de la facture trop grand (12 chiffres au plus avant la virgule)")
    return InvoiceData(
        number=value("numero_facture"),
        type_code=value("type_facture", "380"),
        issue_date=value("date_facture"),
        due_date=value("date_echeance"),
        currency=EURO,
        seller_name=value("fournisseur_nom", ""),
        seller_siret=value("fournisseur_siret"),
        seller_vat=value("fournisseur_tva"),
        buyer_name=value("acheteur_nom", ""),
        buyer_siret=value("acheteur_siret"),
        order_reference=lines[0].order_ref if len({line.order_ref for line in lines}) == 1 else None,
        buyer_reference=value("code_service"),
        lines=tuple(lines),
        allowances_charges=tuple(shared),
        line_total=line_total,
        allowance_total=ZERO,
        charge_total=charge_total,
        tax_exclusive=line_total + charge_total,
        tax_total=tax_total,
        tax_inclusive=line_total + charge_total + tax_total,
        prepaid=ZERO,
        payable=line_total + charge_total + tax_total,
        vat_breakdown=breakdown,
        source_format=source_format,
    )


_siret = _identifier(lambda raw: clean_siret(_digits(raw, 14)))
_insee = _identifier(lambda raw: clean_insee(_digits(raw, 5)))

_DOCUMENT_PARSERS: dict[str, tuple[Callable, bool]] = {  # column -> (parser, required)
    "numero_facture": (_invoice_number, True),
    "date_facture": (_plausible(due=False), True),
    "fournisseur_siret": (_siret, True),
    "type_facture": (_sheet_type, False),
    "date_echeance": (_plausible(due=True), False),
    "fournisseur_nom": (_name, False),
    "fournisseur_tva": (lambda raw: vat_number(cell_text(raw)), False),
    "acheteur_nom": (_name, False),
    "acheteur_siret": (_siret, False),
    "code_service": (lambda raw: _reference(raw, MAX_BUYER_REFERENCE_LENGTH), False),
}


def _document_cells(row: _SpreadsheetRow, document: dict[str, tuple[int, object]]) -> None:
    """The invoice's own fields: required on every row, and the same on every row."""
    for column in DOCUMENT_COLUMNS:
        parse, required = _DOCUMENT_PARSERS[column]
        if column not in row.values:
            continue
        issues_before = len(row.issues)
        parsed = row.parsed(column, parse, required)
        if len(row.issues) > issues_before:
            continue
        if column not in document:
            document[column] = (row.row, parsed)
        elif document[column][1] != parsed:
            first_row, first = document[column]
            shown = first.strftime("%d/%m/%Y") if isinstance(first, date) else (first or "vide")
            row.fail(
                column,
                f"valeur différente de celle de la ligne {first_row} (« {shown} ») : un fichier ne contient "
                "qu'une facture, dont ces colonnes sont répétées à l'identique sur chaque ligne",
            )


def _line_cells(row: _SpreadsheetRow) -> InvoiceLineData | AllowanceCharge | None:
    """An ordinary line (tied to an order and a commune) or, marked ligne_partagee, a shared line
    (delivery, fees) read as a document charge that the split shares by key."""
    issues_before = len(row.issues)
    shared = bool(row.parsed("ligne_partagee", _yes_no, required=False))
    if shared:
        for column in ("numero_commande", "code_insee"):
            if not blank(row.values.get(column)):
                row.fail(
                    column,
                    "une ligne partagée (livraison, frais) n'est rattachée à aucune commande ni commune : "
                    "laissez cette colonne vide, la répartition la partage entre les communes par clé",
                )
    order_ref = None if shared else row.text("numero_commande", required=True)
    if order_ref and len(order_ref) > MAX_NUMBER_LENGTH:
        row.fail("numero_commande", f"numéro trop long ({MAX_NUMBER_LENGTH} caractères au plus)")
    insee = None if shared else row.parsed("code_insee", _insee)
    item_ref = row.text("ref_article")
    description = row.text("designation")
    if not item_ref and not description:
        row.fail("designation", "désignation ou référence d'article obligatoire")
    quantity = row.parsed("quantite", _sheet_quantity)
    unit_price = row.parsed("prix_unitaire_ht", _sheet_price)
    rate = row.parsed("taux_tva", _sheet_rate)
    category = (row.text("categorie_tva") or "").upper() or ("S" if rate else "E")
    declared_net = row.parsed("montant_ht", _sheet_amount, required=False)
    if len(row.issues) > issues_before:
        return None
    net = declared_net
    if net is None:
        net = line_amount(quantity, unit_price)
        if not fits(net, MONEY):
            row.fail("quantite", "quantité × prix unitaire trop grand pour un montant de facture")
            return None
    if shared:
        if declared_net is not None and declared_net != line_amount(quantity, unit_price):
            row.fail("montant_ht", f"montant {declared_net} ≠ quantité × prix unitaire pour une ligne partagée")
            return None
        return AllowanceCharge(
            is_charge=True,
            amount=net,
            vat_category=category,
            vat_rate=rate,
            reason=clip(description or item_ref or "Frais partagés", MAX_REASON_LENGTH),
        )
    return InvoiceLineData(
        line_id=str(row.row),
        item_ref=item_ref,
        description=clip(description or "", MAX_DESCRIPTION_LENGTH),
        quantity=quantity,
        unit_price=unit_price,
        net_amount=net,
        vat_category=category,
        vat_rate=rate,
        order_ref=order_ref,
        commune_insee=insee,
    )
