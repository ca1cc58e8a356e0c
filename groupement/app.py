"""groupement: the web application of a groupement de commandes publiques."""

from __future__ import annotations

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from groupement.config import load_config
from groupement.core import transaction
from groupement.extensions import csrf, db, limiter, login_manager, migrate


def register_models() -> None:
    """Import every feature's models so that their tables are on the metadata."""
    from groupement.campaigns import models as _campaigns  # noqa: F401
    from groupement.catalog import models as _catalog  # noqa: F401
    from groupement.contracts import life_models as _contract_life  # noqa: F401
    from groupement.contracts import models as _contracts  # noqa: F401
    from groupement.core import archive as _archive  # noqa: F401
    from groupement.core import audit_log as _audit  # noqa: F401
    from groupement.core import jobs as _jobs  # noqa: F401
    from groupement.invoices import models as _invoices  # noqa: F401
    from groupement.invoices import official_findings as _official  # noqa: F401
    from groupement.lots import models as _lots  # noqa: F401
    from groupement.organisations import models as _organisations  # noqa: F401
    from groupement.organisations import user_models as _users  # noqa: F401
    from groupement.suppliers import models as _suppliers  # noqa: F401
    from groupement.tenders import models as _tenders  # noqa: F401


def blueprints() -> list:
    from groupement.campaigns.web.needs import bp as needs_bp
    from groupement.campaigns.web.routes import bp as campaigns_bp
    from groupement.catalog.web.routes import bp as catalog_bp
    from groupement.contracts.web import bp as contracts_bp
    from groupement.contracts.web.opendata import bp as opendata_bp
    from groupement.contracts.web.orders import bp as orders_bp
    from groupement.dashboard.web import bp as dashboard_bp
    from groupement.invoices.web import bp as invoices_bp
    from groupement.invoices.web import execution_report as _execution  # noqa: F401  (joins contracts_bp)
    from groupement.lots.web import bp as lots_bp
    from groupement.organisations.web.admin import bp as admin_bp
    from groupement.organisations.web.auth import bp as auth_bp
    from groupement.organisations.web.organisations import bp as organisations_bp
    from groupement.organisations.web.settings import bp as settings_bp
    from groupement.savings import web as savings_web  # noqa: F401  (its routes join contracts_bp)
    from groupement.suppliers.web import bp as suppliers_bp
    from groupement.suppliers.web.shop import bp as shop_bp
    from groupement.tenders.web import bp as offers_bp
    from groupement.tenders.web import lot_files  # noqa: F401  (adds the tender files to the lots pages)
    from groupement.web.jobs import bp as jobs_bp

    return [
        auth_bp,
        dashboard_bp,
        catalog_bp,
        organisations_bp,
        settings_bp,
        admin_bp,
        campaigns_bp,
        needs_bp,
        lots_bp,
        opendata_bp,
        orders_bp,
        contracts_bp,
        offers_bp,
        invoices_bp,
        jobs_bp,
        suppliers_bp,
        shop_bp,
    ]


def _trust_proxies(app: Flask) -> None:
    """ProxyFix for TRUSTED_PROXIES proxies: the client address (login limits, audit) and the
    scheme come from their X-Forwarded-* headers; with 0, those headers are ignored."""
    count = int(app.config.get("TRUSTED_PROXIES") or 0)
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    if app.config["ENV_NAME"] == "production" and app.config.get("RATELIMIT_STORAGE_URI", "").startswith("memory://"):
        app.logger.warning(
            "RATELIMIT_STORAGE_URI=memory:// : la limite de connexions par adresse est comptée par processus ; "
            "avec plusieurs processus ou serveurs, partagez-la (RATELIMIT_STORAGE_URI=redis://…)."
        )


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
    _trust_proxies(app)

    from groupement.web import register_web

    register_web(app)
    transaction.install(app)
    from groupement.core import mail
    from groupement.suppliers import notifications

    mail.register()  # mails announcing a unit of work's effects leave after its commit
    notifications.register()  # each new order notifies its supplier's users
    for blueprint in blueprints():
        app.register_blueprint(blueprint)

    from groupement.cli import register_commands

    register_commands(app)

    from groupement.core import planner_statistics  # noqa: F401  (registers its nightly work)
    from groupement.core.jobs_runner import init_jobs

    init_jobs(app)  # after the features registered their job kinds and periodic work
    return app
