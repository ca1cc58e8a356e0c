"""Imported once by the runner's forkserver (`python -m benchmarks`): every module `create_app`
imports (the models, the blueprints, WeasyPrint's Pango bindings: ~1 600 modules, about 3 s of
CPU), so that each scenario variant forked from it starts in a fraction of a second instead of
importing them again. Imports only: no application, no database connection, no thread."""

from groupement.app import blueprints, register_models
from groupement.cli import register_commands  # noqa: F401
from groupement.core import jobs_runner, mail  # noqa: F401
from groupement.suppliers import notifications  # noqa: F401
from groupement.web import register_web  # noqa: F401

register_models()
blueprints()
