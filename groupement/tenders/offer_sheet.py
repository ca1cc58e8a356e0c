"""A bidder's DQE sheet read row by row: header, lines, prices, the declared total, and the cell helpers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from groupement.core.files.xlsx import blank, cell_text, normal_title
from groupement.core.imports import ImportIssue
from groupement.core.money import UNIT_PRICE_STEP, exactly, has_at_most, parse_decimal
from groupement.tenders.tender_data import TenderLine, TenderLot
from groupement.tenders.tender_layout import (
    DESIGNATION,
    DQE_COLUMNS,
    ECO,
    HEADER_ROW,
    LINE_KEY,
    LINE_TOTAL,
    NUMBER,
    QUANTITY,
    REF,
    UNIT,
    UNIT_PRICE,
)

MAX_PRICE = Decimal(100_000_000)  # the data validation of the price cells
MAX_DATA_ROWS = 20_000
HEADER_SEARCH_ROWS = 40
TOTAL_LABELS = ("total ht", "tva", "total ttc")
CHECKED_TEXTS = ((REF, "ref"), (DESIGNATION, "designation"), (UNIT, "unit"))


@dataclass(frozen=True)
class OfferPrice:
    line_key: str
    row: int  # the Excel row it was read from
    unit_price: Decimal
    eco_participation: Decimal


# --- the sheet ------------------------------------------------------------------------------


class SheetReader:
    """One pass over the rows: the header, then every line, the total rows, whatever was added."""

    def __init__(self, where: str, lot: TenderLot):
        self.where = where
        self.lot = lot
        self.expected: dict[str, TenderLine] = {line.line_key: line for line in lot.lines}
        self.issues: list[ImportIssue] = []
        self.prices: dict[str, OfferPrice] = {}
        self.foreign: list[tuple[int, str]] = []  # (row, key) of identifiers this lot does not have
        self.seen: dict[str, int] = {}
        self.positions: dict[str, int] | None = None
        self.declared_total: Decimal | None = None
        self.total_is_formula = False
        self.total_cell: tuple[int, int] | None = None

    def issue(self, reason: str, row: int | None = None, column: str | None = None) -> None:
        self.issues.append(ImportIssue(self.where, row, column, reason))

    def read(self, rows: Iterable) -> None:
        header_row = 0
        for row, cells in enumerate(rows, start=1):  # read-only mode yields gaps as empty rows
            if self.positions is None:
                if row > HEADER_SEARCH_ROWS:
                    break
                if normal_title(LINE_KEY) in [_title(cell) for cell in cells]:
                    header_row = row
                    self._header(cells, row)
                    if self.issues:
                        return
                continue
            if row - header_row > MAX_DATA_ROWS:
                self.issues = []
                self.issue(f"trop de lignes ({MAX_DATA_ROWS} au plus) : partez du DQE téléchargé", row)
                return
            self._row(cells, row)
        if self.positions is None:
            self.issue(
                f"en-tête du DQE introuvable (ligne {HEADER_ROW} attendue, avec la colonne masquée « {LINE_KEY} ») : "
                "partez du fichier DQE du lot, sans en retirer de colonne"
            )
            return
        self._finish()

    def _header(self, cells, row: int) -> None:
        expected = {normal_title(title): title for title in DQE_COLUMNS}
        positions: dict[str, int] = {}
        for index, cell in enumerate(cells):
            value = _value(cell)
            if blank(value):
                continue
            title = expected.get(_title(cell))
            if title is None:
                written = " ".join(str(value).split())[:60]
                self.issue("colonne inattendue : n'ajoutez pas de colonne au DQE", row, written)
            elif title in positions:
                self.issue("colonne en double dans l'en-tête", row, title)
            else:
                positions[title] = index
        for title in DQE_COLUMNS:
            if title not in positions:
                self.issue("colonne absente de l'en-tête : ne supprimez ni ne renommez de colonne", row, title)
        self.positions = positions

    def _cell(self, cells, title: str):
        index = self.positions[title]
        return cells[index] if index < len(cells) else None

    def _row(self, cells, row: int) -> None:
        key = cell_text(_value(self._cell(cells, LINE_KEY)))
        label = normal_title(cell_text(_value(self._cell(cells, NUMBER))))
        if not key and label in TOTAL_LABELS:
            if label == TOTAL_LABELS[0] and self.total_cell is None:
                self._total(self._cell(cells, LINE_TOTAL), row)
            return
        if not key:
            if any(not blank(_value(cell)) for cell in cells):
                self.issue(
                    "ligne ajoutée (sans identifiant) : n'ajoutez aucune ligne au DQE, chiffrez uniquement les "
                    "lignes existantes",
                    row,
                    LINE_KEY,
                )
            return
        line = self.expected.get(key)
        if line is None:
            self.foreign.append((row, key))
            return
        if key in self.seen:
            self.issue(f"ligne en double (identifiant « {key} » déjà lu ligne {self.seen[key]})", row, LINE_KEY)
            return
        self.seen[key] = row
        before = len(self.issues)
        self._check_line(cells, row, line)
        unit_price = self._price(cells, row, UNIT_PRICE, required=True)
        eco = self._price(cells, row, ECO, required=False)
        if len(self.issues) == before and unit_price is not None and eco is not None:
            self.prices[key] = OfferPrice(key, row, unit_price, eco)

    def _check_line(self, cells, row: int, line: TenderLine) -> None:
        for title, attribute in CHECKED_TEXTS:
            written = _spaces(cell_text(_value(self._cell(cells, title))))
            expected = _spaces(clean(getattr(line, attribute)))
            if written != expected:
                self.issue(
                    f"{title.lower()} modifiée : « {_short(written)} » au lieu de « {_short(expected)} » "
                    f"(ligne n° {line.number})",
                    row,
                    title,
                )
        quantity_cell = self._cell(cells, QUANTITY)
        written = _value(quantity_cell)
        quantity = None if _is_formula(quantity_cell) else number(written)
        if quantity != line.quantity:
            shown = "vide" if blank(written) else _short(cell_text(written))
            self.issue(
                f"quantité modifiée : {shown} au lieu de {line.quantity} (ligne n° {line.number}) ; "
                "les quantités du DQE ne se modifient pas",
                row,
                QUANTITY,
            )

    def _price(self, cells, row: int, title: str, required: bool) -> Decimal | None:
        cell = self._cell(cells, title)
        if _is_formula(cell):
            self.issue("formule interdite dans une cellule de prix : saisissez le montant lui-même", row, title)
            return None
        value = _value(cell)
        if blank(value):
            if required:
                self.issue("prix unitaire HT manquant : chiffrez chaque ligne du DQE", row, title)
                return None
            return Decimal(0)  # no eco-participation: « 0 si sans objet »
        try:
            if isinstance(value, bool):
                raise ValueError
            amount = parse_decimal(value)
        except ValueError:
            self.issue(f"« {_short(cell_text(value))} » n'est pas un montant en euros", row, title)
            return None
        if amount < 0:
            self.issue(f"montant négatif ({cell_text(value)}) : un prix est positif ou nul", row, title)
            return None
        if amount > MAX_PRICE:
            self.issue("montant trop élevé (100 000 000 € au plus)", row, title)
            return None
        if not has_at_most(amount, UNIT_PRICE_STEP):
            self.issue(f"{cell_text(value)} : 4 décimales au plus", row, title)
            return None
        return exactly(amount, UNIT_PRICE_STEP)

    def _total(self, cell, row: int) -> None:
        self.total_cell = (row, self.positions[LINE_TOTAL] + 1)
        if _is_formula(cell):
            self.total_is_formula = True
        else:
            self.declared_total = number(_value(cell))

    def _finish(self) -> None:
        if self.foreign and not self.seen:
            row, key = self.foreign[0]
            self.issues = []
            self.issue(
                f"ce fichier n'est pas le DQE du lot n° {self.lot.number} « {self.lot.title} » : aucun de ses "
                f"identifiants de ligne (« {key} »…) n'appartient à ce lot. Importez le DQE de ce lot, "
                "téléchargé depuis l'application",
                row,
                LINE_KEY,
            )
            self.prices = {}
            return
        for row, key in self.foreign:
            self.issue(f"ligne en trop : l'identifiant « {key} » n'appartient pas à ce lot", row, LINE_KEY)
        for line in self.lot.lines:
            if line.line_key not in self.seen:
                self.issue(
                    f"ligne absente : n° {line.number}, {line.ref} « {_short(clean(line.designation))} » "
                    f"(identifiant « {line.line_key} »)",
                    None,
                    LINE_KEY,
                )
        if not self.seen and not self.issues:
            self.issue("aucune ligne sous l'en-tête du DQE")


# --- cells ----------------------------------------------------------------------------------


def _value(cell):
    return None if cell is None else getattr(cell, "value", None)


def _title(cell) -> str:
    value = _value(cell)
    return normal_title(value) if isinstance(value, str) else ""


def _is_formula(cell) -> bool:
    if cell is None:
        return False
    if getattr(cell, "data_type", None) == "f":
        return True
    value = getattr(cell, "value", None)
    return isinstance(value, str) and value.startswith("=")


def clean(text: str) -> str:
    """As the writer put it: without the control characters an xlsx file cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _spaces(text: str) -> str:
    return " ".join(text.split())


def _short(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def number(value) -> Decimal | None:
    if value is None or isinstance(value, bool | str):
        return None
    try:
        return parse_decimal(value)
    except ValueError:
        return None


__all__ = ["OfferPrice"]
