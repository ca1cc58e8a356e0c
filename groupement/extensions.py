"""Flask extensions, created unbound so that any module may import them without cycles."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Named constraints give Alembic stable names to drop and alter, on SQLite batch mode too.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def render_column_type(type_, obj, autogen_context):
    """Migrations spell application column types as their plain SQL type.

    A migration must keep working when the Python class behind a column is renamed or removed.
    """
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return repr(obj.impl).replace("String(", "sa.String(")
    return False


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True, render_item=render_column_type)
login_manager = LoginManager()
csrf = CSRFProtect()
# No default limit: only the routes that name one (the login form) are limited. Storage and switch
# come from RATELIMIT_STORAGE_URI / RATELIMIT_ENABLED (groupement/config.py).
limiter = Limiter(key_func=get_remote_address)
