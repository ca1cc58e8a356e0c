"""The invoice spreadsheet template a supplier without an ERP fills in (read back by
spreadsheet.py): a first sheet « Facture » whose header the reader finds, with data validation
(type, dates, quantities, prices, VAT rates, INSEE codes of the groupement's communes, shared
lines oui/non), an « Instructions » sheet in French, and a « Communes » sheet (INSEE code,
name, Chorus Pro service code) that the INSEE column's validation points to.

Shared lines (delivery, fees) are marked « oui » in « Ligne partagée » and left without order
nor commune: the reader makes them document charges that the split shares by the allocation key
the coordinator chooses (invoices/allocation.py), never tied to one commune."""

from __future__ import annotations

import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from groupement.core.files.xlsx import (
    BOX,
    DATE_FORMAT,
    EDITABLE_FILL,
    HEADER_FILL,
    HEADER_FONT,
    UNIT_PRICE_FORMAT,
    escape_text,
)
from groupement.invoices.allocation import AllocationKey
from groupement.invoices.einvoice.common import MAX_LINES

TEMPLATE_FILENAME = "modele-facture-groupement.xlsx"
TYPES = ("facture", "avoir", "facture rectificative")
BLANK_ROWS = 200  # rows laid out (formats, validation) ready to be typed in; more may be added


@dataclass(frozen=True)
class TemplateColumn:
    title: str  # read by the reader through spreadsheet_files.column_key (accents, case, spaces aside)
    key: str
    width: int
    help: str
    required: bool = False
    number_format: str | None = None


COLUMNS = (
    TemplateColumn("Numéro facture", "numero_facture", 16, "Votre numéro de facture, le même sur chaque ligne.", True),
    TemplateColumn(
        "Date facture", "date_facture", 13, "Date d'émission (28/11/2026), la même sur chaque ligne.", True, DATE_FORMAT
    ),
    TemplateColumn("Type facture", "type_facture", 14, "facture, avoir ou facture rectificative (facture si vide)."),
    TemplateColumn(
        "Date échéance", "date_echeance", 13, "Date d'échéance du paiement (facultative).", False, DATE_FORMAT
    ),
    TemplateColumn("Fournisseur SIRET", "fournisseur_siret", 17, "Votre SIRET (14 chiffres), sur chaque ligne.", True),
    TemplateColumn("Fournisseur nom", "fournisseur_nom", 24, "Votre raison sociale (facultative)."),
    TemplateColumn("Fournisseur TVA", "fournisseur_tva", 16, "Votre numéro de TVA intracommunautaire (facultatif)."),
    TemplateColumn("Acheteur nom", "acheteur_nom", 22, "L'acheteur à qui la facture est adressée (facultatif)."),
    TemplateColumn("Acheteur SIRET", "acheteur_siret", 17, "Le SIRET de l'acheteur (facultatif)."),
    TemplateColumn(
        "Code service",
        "code_service",
        16,
        "Le code service Chorus Pro de la commune, ou son numéro d'engagement, tels qu'imprimés sur le bon "
        "de commande (référence acheteur, BT-10).",
    ),
    TemplateColumn(
        "Numéro commande",
        "numero_commande",
        18,
        "Le numéro du bon de commande, ou le numéro d'engagement juridique imprimé dessus (BT-13). "
        "Vide pour une ligne partagée.",
        True,
    ),
    TemplateColumn(
        "Code INSEE",
        "code_insee",
        11,
        "Le code INSEE de la commune qui a commandé (feuille Communes). Vide pour une ligne partagée.",
        True,
    ),
    TemplateColumn(
        "Ligne partagée",
        "ligne_partagee",
        12,
        "oui pour une livraison ou des frais communs à plusieurs communes : sans commande ni commune, "
        "ils sont répartis par clé entre les communes.",
    ),
    TemplateColumn("Ref article", "ref_article", 14, "La référence de l'article au marché (BPU)."),
    TemplateColumn("Désignation", "designation", 34, "Le libellé de la ligne (obligatoire sans référence d'article)."),
    TemplateColumn("Quantité", "quantite", 10, "Quantité livrée, positive.", True, "#,##0.####"),
    TemplateColumn(
        "Prix unitaire HT", "prix_unitaire_ht", 15, "Prix unitaire hors taxes, en euros.", True, UNIT_PRICE_FORMAT
    ),
    TemplateColumn("Taux TVA", "taux_tva", 9, "Taux de TVA en % : 20, 10, 5,5, 2,1 ou 0.", True),
    TemplateColumn("Catégorie TVA", "categorie_tva", 11, "S (taux normal, par défaut), E (exonéré) …"),
    TemplateColumn(
        "Montant HT",
        "montant_ht",
        14,
        "Facultatif : votre montant HT de la ligne, contrôlé contre quantité × prix.",
        False,
        '#,##0.00\\ "€"',
    ),
)


@dataclass(frozen=True)
class TemplateCommune:
    insee_code: str
    name: str
    service_code: str = ""


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def invoice_template(communes: list[TemplateCommune], coordinator_name: str = "") -> bytes:
    """The template as .xlsx bytes, for the communes of the coordinator's groupements."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Facture"
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=column.title)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[_letter(index)].width = column.width
        for row in range(2, BLANK_ROWS + 2):
            typed = sheet.cell(row=row, column=index)
            typed.fill, typed.border = EDITABLE_FILL, BOX
            if column.number_format:
                typed.number_format = column.number_format
            elif column.key in ("fournisseur_siret", "acheteur_siret", "code_insee", "numero_commande"):
                typed.number_format = "@"  # text: leading zeros kept
    letters = {column.key: _letter(index) for index, column in enumerate(COLUMNS, start=1)}
    last = MAX_LINES + 1

    def validate(key: str, validation: DataValidation) -> None:
        validation.error_title = "Valeur refusée"
        validation.showErrorMessage = True
        validation.prompt_title = next(c.title for c in COLUMNS if c.key == key)
        validation.prompt = next(c.help for c in COLUMNS if c.key == key)[:255]
        validation.showInputMessage = True
        sheet.add_data_validation(validation)
        validation.add(f"{letters[key]}2:{letters[key]}{last}")

    validate("type_facture", _list(TYPES, "Choisissez facture, avoir ou facture rectificative."))
    validate("ligne_partagee", _list(("oui", "non"), "Répondez oui ou non."))
    validate(
        "taux_tva",
        DataValidation(
            type="decimal",
            operator="between",
            formula1="0",
            formula2="100",
            error="Taux de TVA : 20, 10, 5,5, 2,1 ou 0.",
        ),
    )
    for key in ("date_facture", "date_echeance"):
        validate(
            key,
            DataValidation(
                type="date",
                operator="between",
                formula1="DATE(2000,1,1)",
                formula2="DATE(2100,12,31)",
                error="Une date est attendue (28/11/2026).",
            ),
        )
    validate(
        "quantite",
        DataValidation(
            type="decimal", operator="greaterThan", formula1="0", error="Une quantité positive est attendue."
        ),
    )
    for key in ("prix_unitaire_ht",):
        validate(
            key,
            DataValidation(
                type="decimal", operator="greaterThanOrEqual", formula1="0", error="Un prix positif ou nul est attendu."
            ),
        )
    validate(
        "fournisseur_siret",
        DataValidation(type="textLength", operator="equal", formula1="14", error="Le SIRET compte 14 chiffres."),
    )
    if communes:
        validate(
            "code_insee",
            DataValidation(
                type="list",
                formula1=f"=Communes!$A$2:$A${len(communes) + 1}",
                error="Code INSEE d'une commune du groupement attendu (feuille Communes).",
            ),
        )
    _instructions(workbook.create_sheet("Instructions"), coordinator_name)
    _communes(workbook.create_sheet("Communes"), communes)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _list(values: tuple[str, ...], error: str) -> DataValidation:
    return DataValidation(type="list", formula1='"' + ",".join(values) + '"', error=error)


def _instructions(sheet, coordinator_name: str) -> None:
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 100
    title = "Modèle de facture pour le groupement de commandes" + (
        f" — {escape_text(coordinator_name)}" if coordinator_name else ""
    )
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    for text in (
        "Une facture par fichier : une ligne par article livré, les colonnes de la facture (numéro, date, SIRET…) "
        "répétées à l'identique sur chaque ligne. Les colonnes obligatoires sont dites ci-dessous.",
        "Les références Chorus Pro : écrivez le numéro du bon de commande ou le numéro d'engagement juridique imprimé "
        "dessus dans « Numéro commande », et le code service de la commune dans « Code service » : la facture est "
        "rapprochée d'abord par ces références.",
        "Lignes partagées : la livraison, le port ou des frais communs à plusieurs communes s'écrivent sur une ligne "
        "« Ligne partagée » = oui, sans numéro de commande ni code INSEE. Le coordonnateur les répartit entre les "
        "communes par une clé : "
        + ", ".join(key.label for key in AllocationKey if key is not AllocationKey.MANUAL)
        + " ou des pourcentages saisis ; chaque part est arrondie au centime et les parts font exactement le total.",
        "Les totaux ne s'écrivent pas : ils sont calculés (HT par ligne arrondi au centime, TVA une fois par taux).",
        "Enregistrez au format « Classeur Excel (.xlsx) » (ou CSV) et déposez le fichier, ou envoyez-le au "
        "coordonnateur. La première feuille doit rester « Facture » avec sa ligne d'en-tête.",
    ):
        sheet.append(["", text])
    sheet.append([])
    sheet.append(["Colonne", "Ce qu'elle contient"])
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for column in COLUMNS:
        sheet.append([column.title, ("Obligatoire. " if column.required else "") + column.help])
    for row in sheet.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")


def _communes(sheet, communes: list[TemplateCommune]) -> None:
    sheet.append(["Code INSEE", "Commune", "Code service Chorus Pro"])
    for cell in sheet[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for width, letter in ((12, "A"), (34, "B"), (26, "C")):
        sheet.column_dimensions[letter].width = width
    for commune in communes:
        sheet.append([commune.insee_code, escape_text(commune.name), escape_text(commune.service_code)])
        sheet.cell(row=sheet.max_row, column=1).number_format = "@"
