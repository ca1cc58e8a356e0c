"""Catalog rows: validation of what a catalog file says, and the diff against the database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal

from groupement.core.identifiers import CpvNomenclature, InvalidIdentifier
from groupement.core.imports import ImportIssue, RawRow
from groupement.core.money import CENT, parse_decimal, round_half_up, to_unit_price
from groupement.core.search_text import search_key  # noqa: F401 (the catalog's key, used by its callers)
from groupement.organisations.families import Family

CATALOG_COLUMNS = (
    "ref",
    "designation",
    "famille",
    "code_cpv",
    "unite",
    "prix_unitaire_ht",
    "taux_tva",
    "eco_participation",
    "compte_m57",
)
MAX_UNIT_PRICE = Decimal("10000000")
SEARCH_KEY_LENGTH = 400
KNOWN_ACCOUNTS = {"2182", "2183", "2184", "2188", "6064", "6068", "6063"}


@dataclass(frozen=True)
class CatalogEntry:
    ref: str
    designation: str
    family: Family
    cpv_code: str
    unit: str
    unit_price_ht: Decimal
    vat_rate: Decimal
    eco_participation: Decimal
    account: str

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class _RowCheck:
    """Reads one raw row's fields, collecting every problem instead of stopping at the first."""

    def __init__(self, row: RawRow):
        self.row = row
        self.issues: list[ImportIssue] = []

    def fail(self, column: str, reason: str) -> None:
        self.issues.append(ImportIssue(self.row.file, self.row.line, column, reason))

    def text(self, column: str, max_length: int) -> str:
        value = (self.row.values.get(column) or "").strip()
        if not value:
            self.fail(column, "valeur obligatoire manquante")
        elif len(value) > max_length:
            self.fail(column, f"texte trop long ({len(value)} caractères, {max_length} au plus)")
        return value

    def amount(self, column: str, upper: Decimal) -> Decimal:
        raw = (self.row.values.get(column) or "").strip()
        if not raw:
            self.fail(column, "valeur obligatoire manquante")
            return Decimal(0)
        try:
            value = parse_decimal(raw)
        except ValueError as error:
            self.fail(column, str(error))
            return Decimal(0)
        if value < 0:
            self.fail(column, f"montant négatif ({raw})")
        elif value > upper:
            self.fail(column, f"valeur invraisemblable ({raw})")
        elif value != to_unit_price(value):
            self.fail(column, f"au plus 4 décimales ({raw})")
        return value

    def failed(self, column: str) -> bool:
        return any(issue.column == column for issue in self.issues)


def validate_entries(rows: Iterable[RawRow], cpv: CpvNomenclature) -> tuple[list[CatalogEntry], list[ImportIssue]]:
    """Every problem of every row, and the entries when there are none."""
    entries: list[CatalogEntry] = []
    issues: list[ImportIssue] = []
    first_seen: dict[str, tuple[str, int]] = {}
    for row in rows:
        check = _RowCheck(row)
        ref = check.text("ref", 40).upper()
        designation = check.text("designation", 300)
        unit = check.text("unite", 40)
        account = check.text("compte_m57", 10)
        family_raw = check.text("famille", 20).lower()
        family = None
        if family_raw:
            try:
                family = Family(family_raw)
            except ValueError:
                allowed = ", ".join(f.value for f in Family)
                check.fail("famille", f"famille « {family_raw} » inconnue (attendu : {allowed})")
        cpv_code = check.text("code_cpv", 10)
        if cpv_code:
            try:
                cpv.validate(cpv_code)
            except InvalidIdentifier as error:
                check.fail("code_cpv", str(error))
        price = check.amount("prix_unitaire_ht", MAX_UNIT_PRICE)
        if price == 0 and not check.failed("prix_unitaire_ht"):
            check.fail("prix_unitaire_ht", "le prix unitaire estimé doit être strictement positif")
        vat_rate = check.amount("taux_tva", Decimal("99.99"))
        eco = check.amount("eco_participation", MAX_UNIT_PRICE)
        if account and account not in KNOWN_ACCOUNTS:
            check.fail("compte_m57", f"compte M57 « {account} » inattendu pour un achat du groupement")
        if ref:
            if ref in first_seen:
                other_file, other_line = first_seen[ref]
                check.fail("ref", f"référence « {ref} » en double (déjà en {other_file}, ligne {other_line})")
            else:
                first_seen[ref] = (row.file, row.line)

        if check.issues:
            issues.extend(check.issues)
            continue
        entries.append(
            CatalogEntry(
                ref=ref,
                designation=designation,
                family=family,
                cpv_code=cpv_code,
                unit=unit,
                unit_price_ht=to_unit_price(price),
                vat_rate=round_half_up(vat_rate, CENT),
                eco_participation=to_unit_price(eco),
                account=account,
            )
        )
    return entries, issues


@dataclass(frozen=True)
class CatalogDiff:
    created: tuple[CatalogEntry, ...]
    updated: tuple[tuple[CatalogEntry, dict], ...]  # entry, {field: (before, after)}
    unchanged: tuple[CatalogEntry, ...]


def diff_catalog(entries: Iterable[CatalogEntry], current: Mapping[str, CatalogEntry]) -> CatalogDiff:
    created, updated, unchanged = [], [], []
    for entry in entries:
        existing = current.get(entry.ref)
        if existing is None:
            created.append(entry)
            continue
        changes = {
            name: (before, after)
            for name, after in entry.as_dict().items()
            if (before := getattr(existing, name)) != after
        }
        (updated.append((entry, changes)) if changes else unchanged.append(entry))
    return CatalogDiff(tuple(created), tuple(updated), tuple(unchanged))
