"""Catalog use cases: import (all or nothing), search, export."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, or_, select

from groupement.catalog.models import CatalogItem
from groupement.catalog.reference_data import cpv_nomenclature
from groupement.catalog.rules import (
    CATALOG_COLUMNS,
    CatalogEntry,
    diff_catalog,
    search_key,
    validate_entries,
)
from groupement.core import audit
from groupement.core.errors import ImportRejected
from groupement.core.files.csv_files import read_table
from groupement.core.search import contains
from groupement.extensions import db
from groupement.organisations.families import Family


@dataclass(frozen=True)
class CatalogImportReport:
    created: int
    updated: int
    unchanged: int


def _entry_of(item: CatalogItem) -> CatalogEntry:
    return CatalogEntry(
        ref=item.ref,
        designation=item.designation,
        family=item.family,
        cpv_code=item.cpv_code,
        unit=item.unit,
        unit_price_ht=item.unit_price_ht,
        vat_rate=item.vat_rate,
        eco_participation=item.eco_participation,
        account=item.account,
    )


def import_catalog(files: Sequence[tuple[str, bytes]], actor_id: int | None) -> CatalogImportReport:
    """Upsert items by ref from one or more CSV files; any invalid row rejects every file."""
    rows, issues = [], []
    for name, content in files:
        file_rows, file_issues = read_table(content, name, CATALOG_COLUMNS)
        rows += file_rows
        issues += file_issues
    entries, row_issues = validate_entries(rows, cpv_nomenclature())
    issues += row_issues
    if issues:
        raise ImportRejected(issues)

    existing = {
        item.ref: item
        for item in db.session.scalars(select(CatalogItem).where(CatalogItem.ref.in_([e.ref for e in entries])))
    }
    diff = diff_catalog(entries, {ref: _entry_of(item) for ref, item in existing.items()})
    for entry in diff.created:
        item = CatalogItem(**entry.as_dict(), active=True)
        db.session.add(item)
        db.session.flush()
        audit.record(actor_id, "catalog_item.create", "catalog_item", item.id, after=entry.as_dict())
    for entry, changes in diff.updated:
        item = existing[entry.ref]
        for name, (_, after) in changes.items():
            setattr(item, name, after)
        audit.record(
            actor_id,
            "catalog_item.update",
            "catalog_item",
            item.id,
            before={k: b for k, (b, _) in changes.items()},
            after={k: a for k, (_, a) in changes.items()},
        )
    db.session.flush()
    return CatalogImportReport(len(diff.created), len(diff.updated), len(diff.unchanged))


def catalog_query(search: str = "", family: Family | None = None) -> Select:
    statement = select(CatalogItem).where(CatalogItem.active.is_(True))
    if family:
        statement = statement.where(CatalogItem.family == family)
    for word in search_key(search).split():
        # Accents and case ignored on both databases: the stored key is already plain.
        statement = statement.where(or_(contains(CatalogItem.search_key, word), contains(CatalogItem.cpv_code, word)))
    return statement.order_by(CatalogItem.family, CatalogItem.ref)


def search_catalog(search: str, family: Family | None, page: int, per_page: int):
    return db.paginate(catalog_query(search, family), page=page, per_page=per_page, error_out=False)


def catalog_rows(search: str = "", family: Family | None = None) -> list[CatalogItem]:
    return list(db.session.scalars(catalog_query(search, family)))
