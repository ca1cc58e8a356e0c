"""groupement: the web application of a groupement de commandes publiques."""

from __future__ import annotations

import importlib
import importlib.util
import os

from flask import Flask

from groupement.config import load_config
from groupement.core import transaction
from groupement.extensions import csrf, db, limiter, login_manager, migrate

# The features in pipeline order: each may import those before it, never one after it
# (the import contracts of `make lint` hold the code to this order).
FEATURES = (
    "organisations",
    "catalog",
    "campaigns",
    "lots",
    "tenders",
    "contracts",
    "invoices",
    "savings",
    "demo",
    "dashboard",
)


def register_models() -> None:
    """Import every feature's models so that their tables are on the metadata."""
    import groupement.core.audit_log  # noqa: F401

    for feature in FEATURES:
        if importlib.util.find_spec(f"groupement.{feature}.models") is not None:
            importlib.import_module(f"groupement.{feature}.models")
    import groupement.organisations.user_models  # noqa: F401


def blueprints() -> list:
    from groupement.campaigns.web.needs import bp as needs_bp
    from groupement.campaigns.web.routes import bp as campaigns_bp
    from groupement.catalog.web.routes import bp as catalog_bp
    from groupement.contracts.web import bp as contracts_bp
    from groupement.contracts.web.opendata import bp as opendata_bp
    from groupement.contracts.web.orders import bp as orders_bp
    from groupement.dashboard.web import bp as dashboard_bp
    from groupement.invoices.web import bp as invoices_bp
    from groupement.lots.web import bp as lots_bp
    from groupement.organisations.web.admin import bp as admin_bp
    from groupement.organisations.web.auth import bp as auth_bp
    from groupement.organisations.web.organisations import bp as organisations_bp
    from groupement.savings import web as savings_web  # noqa: F401  (its routes join contracts_bp)
    from groupement.tenders.web import bp as offers_bp
    from groupement.tenders.web import lot_files  # noqa: F401  (adds the tender files to the lots pages)

    return [
        auth_bp,
        dashboard_bp,
        catalog_bp,
        organisations_bp,
        admin_bp,
        campaigns_bp,
        needs_bp,
        lots_bp,
        opendata_bp,
        orders_bp,
        contracts_bp,
        offers_bp,
        invoices_bp,
    ]


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder="../templates",
        instance_relative_config=True,
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path, config))

    register_models()

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    from groupement.web import register_web

    register_web(app)
    transaction.install(app)
    for blueprint in blueprints():
        app.register_blueprint(blueprint)

    from groupement.cli import register_commands

    register_commands(app)
    return app
