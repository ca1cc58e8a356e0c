"""groupement: the web application of a groupement de commandes publiques."""

from __future__ import annotations

import os

from flask import Flask

from groupement.config import load_config
from groupement.extensions import csrf, db, limiter, login_manager, migrate


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder="../templates",
        instance_relative_config=True,
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path, config))

    from groupement import models  # noqa: F401  (registers the tables on the metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    from groupement.web import register_web

    register_web(app)

    from groupement.cli import register_commands

    register_commands(app)
    return app
