import warnings

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from groupement.extensions import db

# Real commits: what the code commits must be seen by other connections or threads.
pytestmark = pytest.mark.real_commits


def pending_differences():
    with db.engine.connect() as connection, warnings.catch_warnings():
        # SQLAlchemy cannot read back SQLite's expression index (the grid's order, migration
        # 0036) and says so; alembic leaves such an index out of the comparison on both sides.
        warnings.filterwarnings(
            "ignore", r"Skipped unsupported reflection of expression-based index ix_catalog_item_grid_order"
        )
        context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(context, db.metadata)


def test_the_migrated_database_has_exactly_the_models_schema(database):
    assert pending_differences() == []


def test_migrations_go_down_to_nothing_and_back_up_to_the_same_schema(database):
    flask_migrate.downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    flask_migrate.upgrade()
    assert pending_differences() == []
    assert "catalog_item" in inspect(db.engine).get_table_names()


def test_migration_0033_back_fills_the_name_keys_of_existing_rows(database):
    from sqlalchemy import text

    flask_migrate.downgrade(revision="0032")
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organisation (kind, name, siren, address, postcode, city, chorus_service_code)"
                " VALUES ('commune', 'L''Isle-d''Abeau', '213801930', '', '', '', '')"
            )
        )
    flask_migrate.upgrade()
    with db.engine.connect() as connection:
        key = connection.execute(text("SELECT search_key FROM organisation WHERE siren = '213801930'")).scalar_one()
    assert key == "l'isle-d'abeau"
    assert pending_differences() == []
