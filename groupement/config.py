"""Settings read from the environment; nothing here is specific to one server process."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

ENVIRONMENTS = ("production", "development", "testing")


class ConfigurationError(RuntimeError):
    pass


def database_url(raw: str | None, instance_path: str) -> str:
    """The SQLAlchemy URL: SQLite under instance/ by default, psycopg 3 for PostgreSQL."""
    if not raw:
        return "sqlite:///" + str(Path(instance_path) / "groupement.db")
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "oui", "on"}


def _count(name: str, default: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise ConfigurationError(f"{name}={raw!r} : un nombre entier positif ou nul est attendu.")
    return int(raw)


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    overrides = overrides or {}
    env = overrides.get("ENV_NAME") or os.environ.get("GROUPEMENT_ENV", "production")
    if env not in ENVIRONMENTS:
        raise ConfigurationError(f"GROUPEMENT_ENV={env!r} inconnu : valeurs possibles {', '.join(ENVIRONMENTS)}.")
    secret_key = os.environ.get("SECRET_KEY")
    if not secret_key and "SECRET_KEY" not in overrides:
        if env == "production":
            raise ConfigurationError(
                "SECRET_KEY n'est pas définie : en production, l'application refuse de démarrer "
                "sans clé secrète (exportez SECRET_KEY, ou GROUPEMENT_ENV=development en local)."
            )
        secret_key = "dev-only-not-secret"
    production = env == "production"
    config = {
        "ENV_NAME": env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url(os.environ.get("DATABASE_URL"), instance_path),
        # Connections reopened hourly: a SQLite connection reads the planner's statistics when it
        # opens, never again (core/planner_statistics.py gathers them every night).
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_recycle": 3600},
        "TESTING": env == "testing",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        # A session cookie is refused this long after it was last written (Flask checks its signed
        # date), whatever the browser keeps; "Rester connecté" lasts REMEMBER_DAYS, until logout.
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_count("SESSION_HOURS", 12)),
        "REMEMBER_COOKIE_DURATION": timedelta(days=_count("REMEMBER_DAYS", 30)),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "10")) * 1024 * 1024,
        # Processes writing the communes' annexes of a tender dossier (1: in the job's own process);
        # by default one per core, at most 4.
        "EXPORT_PROCESSES": max(1, _count("EXPORT_PROCESSES", min(os.cpu_count() or 1, 4))),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS"),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "groupement@localhost"),
        # Empty: links in e-mails follow the server the request reached (the port of `make run` or
        # `groupement run --port`, core/mail.public_link); set it in production.
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "").strip(),
        "PAGE_SIZE": 25,
        # « Remplir depuis le SIRET » asks the public SIRENE data (tenders/sirene.py); 0 for an
        # instance without network access (the form says to fill it by hand).
        "SIRENE_LOOKUP": _flag("SIRENE_LOOKUP", True),
        # Login rate limiting (Flask-Limiter). "memory://" counts per server process: enough for one
        # process in development; production with several processes or servers MUST set a shared
        # storage, e.g. RATELIMIT_STORAGE_URI=redis://localhost:6379/0 (the client library is then needed).
        # RATELIMIT_ENABLED also switches the per-account throttle kept in the database
        # (organisations/login_throttle.py): only the tests turn both off.
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Several applications (or test runs) may share one Redis: each counts under its own prefix.
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "groupement"),
        # Redis down: logins go on (the per-account throttle in the database still holds), with
        # per-process counting meanwhile, instead of a 500 on every login.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # …and a Redis that does not answer costs a login one second, not the client's defaults.
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        # Behind a reverse proxy (HTTPS): how many proxies in front of the application set
        # X-Forwarded-For/-Proto/-Host. 0 (the default) trusts no such header: the client address is
        # the connection's. Set it to 1 behind one nginx/Apache, never higher than the real count,
        # or any client can choose its own address and escape the per-address login limit.
        "TRUSTED_PROXIES": _count("TRUSTED_PROXIES"),
        # A password-reset link stays valid this many seconds (and serves once).
        "PASSWORD_RESET_MAX_AGE": _count("PASSWORD_RESET_MAX_AGE", 3600),
        # Background jobs (core/jobs_runner.py): empty = a Huey SQLite file in the instance folder,
        # no server needed; redis://host:6379/0 in production, shared by every web server and worker.
        "JOBS_URL": os.environ.get("JOBS_URL", "").strip(),
        "JOBS_NAME": os.environ.get("JOBS_NAME", "groupement").strip() or "groupement",
        # A running job whose worker gave no sign of life for this long is started again (or failed).
        "JOBS_STALE_SECONDS": _count("JOBS_STALE_SECONDS", 60),
        "JOBS_HEARTBEAT_SECONDS": _count("JOBS_HEARTBEAT_SECONDS", 5),
        "JOBS_REAP_SECONDS": _count("JOBS_REAP_SECONDS", 30),
        # Finished jobs (and the results they keep) are deleted this many days after their end.
        "JOBS_RETENTION_DAYS": _count("JOBS_RETENTION_DAYS", 30),
        # A needs file of this many bytes or more (about 1 200 lines of the export) is checked by a
        # job, and a confirmation of this many changed lines or more is applied by one
        # (campaigns/needs_import_job.py); smaller ones within the request, the preview at once.
        "NEEDS_IMPORT_JOB_BYTES": _count("NEEDS_IMPORT_JOB_BYTES", 64 * 1024),
        "NEEDS_IMPORT_JOB_CHANGES": _count("NEEDS_IMPORT_JOB_CHANGES", 1_000),
    }
    config.update(overrides)
    return config
