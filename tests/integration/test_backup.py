"""`groupement backup` / `groupement restore`: a round trip brings deleted rows back, on SQLite
(sqlite3 online backup) and on PostgreSQL (pg_dump / pg_restore)."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import delete, func, select

from groupement.catalog.models import CatalogItem
from groupement.organisations.models import Organisation

# Real commits: what the code commits must be seen by other connections or threads.
pytestmark = pytest.mark.real_commits


def _needs_tools(database) -> None:
    if database.engine.dialect.name == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump / pg_restore absents : la sauvegarde PostgreSQL ne peut pas être essayée ici.")


def _count(database, model) -> int:
    return database.session.scalar(select(func.count()).select_from(model))


def test_a_backup_then_a_restore_brings_deleted_rows_back(app, make, database, tmp_path):
    _needs_tools(database)
    make.organisation(name="Éclose-Badinières", insee_code="38150")
    refs = {make.item(ref=f"INF-SAUVE-{n}").ref for n in range(3)}
    database.session.commit()
    runner = app.test_cli_runner()
    backup_file = tmp_path / "sauvegarde.dump"

    result = runner.invoke(args=["backup", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert "sauvegardée dans" in result.output and backup_file.stat().st_size > 0

    database.session.execute(delete(CatalogItem))
    database.session.commit()
    assert _count(database, CatalogItem) == 0

    result = runner.invoke(args=["restore", "--yes", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert "restaurée depuis" in result.output
    database.session.remove()
    assert set(database.session.scalars(select(CatalogItem.ref))) == refs
    assert database.session.scalar(select(Organisation.name).where(Organisation.insee_code == "38150")) == (
        "Éclose-Badinières"
    )


def test_a_file_that_is_not_a_backup_is_refused_in_french_and_nothing_changes(app, make, database, tmp_path):
    make.item(ref="INF-RESTE")
    database.session.commit()
    bogus = tmp_path / "notes.txt"
    bogus.write_text("ceci n'est pas une sauvegarde\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["restore", "--yes", str(bogus)])
    assert result.exit_code == 1
    assert "n'est pas une sauvegarde" in result.output and "rien n'a été restauré" in result.output
    assert "Traceback" not in result.output
    database.session.remove()
    assert database.session.scalars(select(CatalogItem.ref)).all() == ["INF-RESTE"]


def test_a_restore_without_confirmation_changes_nothing(app, make, database, tmp_path):
    make.item(ref="INF-GARDE")
    database.session.commit()
    missing = tmp_path / "absente.dump"
    result = app.test_cli_runner().invoke(args=["restore", str(missing)], input="n\n")
    assert result.exit_code == 1
    assert "restauration abandonnée" in result.output
    assert _count(database, CatalogItem) == 1


def test_a_backup_into_a_missing_folder_is_a_clean_french_error(app, database, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "absent" / "sauvegarde.dump")])
    assert result.exit_code == 1
    assert "Erreur : le dossier" in result.output and "n'existe pas" in result.output
    assert "Traceback" not in result.output


def test_missing_postgresql_tools_give_a_french_message(monkeypatch, database, tmp_path):
    from sqlalchemy.engine import make_url

    from groupement.core import backup

    monkeypatch.setattr(backup.shutil, "which", lambda tool: None)
    with pytest.raises(backup.BackupError, match="pg_dump est introuvable"):
        backup.backup_database(tmp_path / "base.dump", make_url("postgresql+psycopg://u@localhost/base"))
    assert not list(tmp_path.iterdir())
