"""Backup and restore of the whole database, for the `groupement backup` / `restore` commands.

SQLite: an online copy through sqlite3's backup API (consistent even while the app writes).
PostgreSQL: pg_dump in its custom format, pg_restore --clean --if-exists in one transaction.
Every refusal is a BackupError with a French message; nothing here goes through the ORM session.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from groupement.core.errors import ServiceError
from groupement.core.formatting import os_reason
from groupement.extensions import db

SQLITE_HEADER = b"SQLite format 3\x00"
PG_CUSTOM_HEADER = b"PGDMP"
TOOL_TIMEOUT_SECONDS = 3600


class BackupError(ServiceError):
    pass


@dataclass(frozen=True)
class BackupReport:
    path: Path
    engine: str  # "SQLite" or "PostgreSQL"
    size: int


def backup_database(target: Path, url: URL | None = None) -> BackupReport:
    """Write a full copy of the database to `target` (replaced if it exists, never half-written)."""
    url = url or db.engine.url
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"{target} est un dossier : indiquez le nom du fichier de sauvegarde.")
    if not target.parent.is_dir():
        raise BackupError(f"le dossier {target.parent} n'existe pas.")
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_path(url), temporary)
            kind = "SQLite"
        elif url.get_backend_name() == "postgresql":
            _run("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", f"--file={temporary}"], url)
            kind = "PostgreSQL"
        else:
            raise BackupError(f"base de données {url.get_backend_name()} non prise en charge (SQLite ou PostgreSQL).")
        os.replace(temporary, target)
    except OSError as error:
        reason = os_reason(error)
        raise BackupError(f"impossible d'écrire la sauvegarde {target} ({reason}).") from error
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
    return BackupReport(target, kind, target.stat().st_size)


def restore_database(source: Path, url: URL | None = None) -> str:
    """Replace every table of the database by the content of a backup; returns the engine's name."""
    url = url or db.engine.url
    source = Path(source)
    try:
        with source.open("rb") as file:
            header = file.read(16)
    except OSError as error:
        raise BackupError(f"impossible de lire {source} ({os_reason(error)}).") from error
    # Pooled connections would keep locks (PostgreSQL) or an old view of the file (SQLite).
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        if not header.startswith(SQLITE_HEADER):
            raise BackupError(f"{source.name} n'est pas une sauvegarde SQLite : rien n'a été restauré.")
        _sqlite_restore(source, _sqlite_path(url))
        return "SQLite"
    if url.get_backend_name() == "postgresql":
        if not header.startswith(PG_CUSTOM_HEADER):
            raise BackupError(
                f"{source.name} n'est pas une sauvegarde PostgreSQL (format pg_dump -Fc) : rien n'a été restauré."
            )
        _run(
            "pg_restore",
            ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"],
            url,
            extra_args=(str(source),),
        )
        return "PostgreSQL"
    raise BackupError(f"base de données {url.get_backend_name()} non prise en charge (SQLite ou PostgreSQL).")


# --- SQLite ----------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("une base SQLite en mémoire ne se sauvegarde pas : configurez un fichier.")
    return Path(url.database)


def _sqlite_backup(database: Path, target: Path) -> None:
    if not database.is_file():
        raise BackupError(f"la base SQLite {database} est introuvable.")
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    except sqlite3.Error as error:
        raise BackupError(f"la sauvegarde SQLite a échoué ({error}).") from error
    finally:
        source.close()


def _sqlite_restore(backup_file: Path, database: Path) -> None:
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        try:
            verdict = source.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{backup_file.name} est illisible ({error}) : rien n'a été restauré.") from error
        if verdict != "ok":
            raise BackupError(f"{backup_file.name} est endommagé ({verdict}) : rien n'a été restauré.")
        destination = sqlite3.connect(database)
        try:
            source.backup(destination)  # page by page under one lock: all or nothing
        except sqlite3.Error as error:
            raise BackupError(f"la restauration SQLite a échoué ({error}) : la base n'a pas été modifiée.") from error
        finally:
            destination.close()
    finally:
        source.close()


# --- PostgreSQL ------------------------------------------------------------------------------


def _run(tool: str, args: list[str], url: URL, extra_args: tuple[str, ...] = ()) -> None:
    """Run pg_dump / pg_restore on the database of `url` (no shell; the password in PGPASSWORD)."""
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(
            f"l'outil {tool} est introuvable : installez les outils clients PostgreSQL "
            "(paquet postgresql-client) dans une version au moins égale à celle du serveur."
        )
    command = [executable, "--no-password", *args, f"--host={url.host or 'localhost'}", f"--port={url.port or 5432}"]
    if url.username:
        command.append(f"--username={url.username}")
    command += [f"--dbname={url.database}", *extra_args]
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    try:
        completed = subprocess.run(  # noqa: S603  (fixed executable, arguments, no shell)
            command, env=environment, capture_output=True, text=True, timeout=TOOL_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise BackupError(f"{tool} n'a pas terminé en {TOOL_TIMEOUT_SECONDS // 60} minutes.") from error
    if completed.returncode != 0:
        detail = " ".join(completed.stderr.strip().splitlines()[-3:]) or f"code {completed.returncode}"
        raise BackupError(f"{tool} a échoué : {detail}")
