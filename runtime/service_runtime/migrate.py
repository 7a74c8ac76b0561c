"""Alembic, driven from code: the runtime's branch plus the service's own branch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from service_runtime import tables
from service_runtime.compatibility import Branch, branches, check_runs_on
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


def schema_check(definition: ServiceDefinition, db: Database) -> Callable[[], None]:
    """For ``/readyz``: raise unless the database's schema is one this code can run on,
    at its migration heads or at a later, compatible revision (see
    :mod:`service_runtime.compatibility`). A database behind the code is not ready."""
    code: dict[str, Branch] = {}

    def check() -> None:
        if not code:  # the code's migrations do not change while it runs: read them once
            code.update(branches(ScriptDirectory.from_config(alembic_config(definition, db.url))))
        with db.engine.connect() as connection:
            check_runs_on(code, connection)

    return check
