import pytest

from groupement.config import ConfigurationError, database_url, load_config


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("GROUPEMENT_ENV", "production")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        load_config(str(tmp_path))


def test_production_with_a_key_has_secure_cookies(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("GROUPEMENT_ENV", "production")
    config = load_config(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_runs_without_a_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("GROUPEMENT_ENV", "development")
    assert load_config(str(tmp_path))["SECRET_KEY"]


def test_database_url_defaults_to_sqlite_and_maps_postgres_to_psycopg3(tmp_path):
    assert database_url(None, str(tmp_path)) == f"sqlite:///{tmp_path}/groupement.db"
    assert database_url("postgres://u@h/db", "x") == "postgresql+psycopg://u@h/db"
    assert database_url("postgresql://u@h/db", "x") == "postgresql+psycopg://u@h/db"
