"""The needs workbook's layout, shared by its writer and its reader: the sheet, its columns, its
limits, and the rows that go out and come back. The agent fills this file in offline."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from groupement.campaigns.rules import NeedValue

SHEET_TITLE = "Besoins"
MAX_DATA_ROWS = 20_000
MAX_COMMENT_LENGTH = 500
HEADER_SEARCH_ROWS = 40
MAX_COLUMNS = 100  # nine are written; a few notes typed beside the table are tolerated

REF = "Référence"
DESIGNATION = "Désignation"
FAMILY = "Famille"
UNIT = "Unité"
UNIT_PRICE = "Prix unitaire HT estimé"
PREVIOUS = "Quantité N-1"
QUANTITY = "Quantité"
COMMENT = "Commentaire"
AMOUNT = "Montant estimé HT"
COLUMNS = (REF, DESIGNATION, FAMILY, UNIT, UNIT_PRICE, PREVIOUS, QUANTITY, COMMENT, AMOUNT)
EDITABLE = (QUANTITY, COMMENT)
WIDTHS = dict(zip(COLUMNS, (18, 55, 20, 12, 16, 12, 12, 40, 18), strict=True))

HOW_TO = (
    "Mode d'emploi : saisissez dans la colonne « Quantité » un nombre entier de 0 à 1 000 000 pour chaque "
    "article dont votre commune a besoin (laisser vide ou 0 : aucun besoin), et si besoin un commentaire "
    "(500 caractères au plus). Les autres colonnes et l'en-tête du tableau sont protégés : ne les modifiez "
    "pas, n'ajoutez ni ne supprimez de colonne. Enregistrez au format « Classeur Excel (.xlsx) », puis "
    "déposez le fichier dans l'application : un aperçu des modifications vous sera présenté avant tout "
    "enregistrement."
)


class NeedsSheetRow(NamedTuple):
    """One catalog item of the commune's grid, as written to the workbook."""

    ref: str
    designation: str
    family: str
    unit: str
    unit_price: Decimal
    previous_quantity: int | None
    quantity: int
    comment: str


@dataclass(frozen=True)
class UploadedNeed:
    """One data row read back: its real Excel row number, its ref and its value."""

    row: int
    ref: str
    value: NeedValue
