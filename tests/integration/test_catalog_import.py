from decimal import Decimal

import pytest
from sqlalchemy import func, select

from groupement.catalog.items import import_catalog
from groupement.catalog.models import CatalogItem
from groupement.catalog.reference_data import catalog_paths
from groupement.catalog.rules import CATALOG_COLUMNS
from groupement.core.audit_log import AuditEvent
from groupement.core.errors import ImportRejected

HEADER = ";".join(CATALOG_COLUMNS)
LAPTOP = "INF-A;Ordinateur portable 14 pouces;informatique;30213100-6;unité;849,00;20,00;1,50;2183"
PAPER = "FOU-A;Ramette papier A4 80 g;fournitures;30197630-1;ramette;4,20;20,00;0,00;6064"


def csv(*lines: str) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def count(model) -> int:
    from groupement.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def test_the_shipped_catalogs_import_with_enough_items_per_family(database):
    report = import_catalog([(p.name, p.read_bytes()) for p in catalog_paths()], actor_id=None)
    assert report.created >= 75 and report.updated == report.unchanged == 0
    per_family = dict(
        database.session.execute(select(CatalogItem.family, func.count()).group_by(CatalogItem.family)).all()
    )
    assert len(per_family) == 3 and min(per_family.values()) >= 25
    again = import_catalog([(p.name, p.read_bytes()) for p in catalog_paths()], actor_id=None)
    assert (again.created, again.updated, again.unchanged) == (0, 0, report.created)


def test_reimport_upserts_by_ref_and_audits_the_price_change(database):
    import_catalog([("cat.csv", csv(LAPTOP, PAPER))], actor_id=None)
    report = import_catalog([("cat.csv", csv(LAPTOP.replace("849,00", "799,90")))], actor_id=None)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    laptop = database.session.scalar(select(CatalogItem).where(CatalogItem.ref == "INF-A"))
    assert laptop.unit_price_ht == Decimal("799.9000")
    event = database.session.scalars(select(AuditEvent).where(AuditEvent.action == "catalog_item.update")).one()
    assert event.before == {"unit_price_ht": "849.0000"} and event.after == {"unit_price_ht": "799.9000"}


def test_one_bad_row_rejects_every_file_lists_every_error_and_writes_nothing(database):
    import_catalog([("cat.csv", csv(LAPTOP))], actor_id=None)
    items_before, events_before = count(CatalogItem), count(AuditEvent)
    good = csv(LAPTOP.replace("849,00", "1,00"), PAPER)
    bad = csv(
        "INF-B;Écran;informatique;30231300-1;unité;150,00;20,00;1,00;2183",  # wrong check digit
        "INF-C;Souris;informatique;30237410-6;unité;-4,00;20,00;0,10;2183",  # negative price
        "FOU-A;Doublon;fournitures;30197630-1;ramette;4,20;20,00;0,00;6064",  # ref of good.csv
    )
    with pytest.raises(ImportRejected) as rejected:
        import_catalog([("bon.csv", good), ("mauvais.csv", bad)], actor_id=None)
    described = [str(issue) for issue in rejected.value.issues]
    assert described == [
        "mauvais.csv, ligne 2, colonne « code_cpv » : Code CPV « 30231300-1 » : "
        "clé de contrôle incorrecte (le code exact est 30231300-0).",
        "mauvais.csv, ligne 3, colonne « prix_unitaire_ht » : montant négatif (-4,00)",
        "mauvais.csv, ligne 4, colonne « ref » : référence « FOU-A » en double (déjà en bon.csv, ligne 3)",
    ]
    assert "rien n'a été enregistré" in str(rejected.value)
    assert (count(CatalogItem), count(AuditEvent)) == (items_before, events_before)
    laptop = database.session.scalar(select(CatalogItem).where(CatalogItem.ref == "INF-A"))
    assert laptop.unit_price_ht == Decimal("849.0000")


def test_a_missing_column_or_a_latin1_file_is_refused_before_any_row(database):
    no_vat = (
        b"ref;designation;famille;code_cpv;unite;prix_unitaire_ht;eco_participation;compte_m57\n"
        b"A;b;informatique;30213100-6;u;1;0;2183\n"
    )
    latin1 = csv(LAPTOP.replace("unité", "unit\xe9")).decode().encode("latin-1")
    with pytest.raises(ImportRejected) as rejected:
        import_catalog([("sans_tva.csv", no_vat), ("latin1.csv", latin1)], actor_id=None)
    assert [(i.file, i.row, i.column) for i in rejected.value.issues] == [
        ("latin1.csv", 2, None),
        ("sans_tva.csv", 1, "taux_tva"),
    ]
    assert count(CatalogItem) == 0
