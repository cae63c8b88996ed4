"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from helpline.conversations.search import is_search_schema_object
from helpline.core.migrate import migrate
from helpline.core.schema import metadata


def test_migrations_match_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'schema.db'}"
    migrate(url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            # The full-text search tables and indexes (migration 0008) are not models.
            context = MigrationContext.configure(
                connection, opts={"include_name": lambda name, type_, _parents: not is_search_schema_object(name, type_)}
            )
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == [], "a model changed without a migration: " + repr(differences)[:2000]
