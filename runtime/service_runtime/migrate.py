"""Alembic, driven from code: the runtime's branch plus the service's own branch."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from service_runtime import tables
from service_runtime.config import normalise_database_url
from service_runtime.db import Database
from service_runtime.service import ServiceDefinition

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(definition: ServiceDefinition, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    locations = [str(MIGRATIONS / "versions")]
    if definition.migrations is not None:
        locations.append(str(definition.migrations))
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    config.set_main_option("sqlalchemy.url", normalise_database_url(url).replace("%", "%%"))
    config.attributes["target_metadata"] = [
        m for m in (tables.metadata, definition.metadata) if m is not None
    ]
    return config


def upgrade(definition: ServiceDefinition, url: str) -> None:
    """Bring the database to the newest revision of every branch."""
    command.upgrade(alembic_config(definition, url), "heads")


def check_schema_is_current(definition: ServiceDefinition, db: Database) -> None:
    """Raise unless the database is at the newest revision of every branch.

    Used by ``/readyz``: a process whose migrations have not run yet is not ready.
    """
    expected = set(ScriptDirectory.from_config(alembic_config(definition, db.url)).get_heads())
    with db.engine.connect() as connection:
        rows = connection.execute(text("SELECT version_num FROM alembic_version"))
        current = {row[0] for row in rows}
    if current != expected:
        raise RuntimeError(f"migrations not applied: at {sorted(current)}, need {sorted(expected)}")
