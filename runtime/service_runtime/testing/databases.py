"""Fresh databases for tests: one per call, on PostgreSQL or SQLite."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from service_runtime.config import normalise_database_url


class DatabaseFactory:
    def __init__(self, server_url: str | None, directory: Path) -> None:
        self.server_url = normalise_database_url(server_url) if server_url else None
        self.directory = directory
        self.created: list[str] = []

    @property
    def backend(self) -> str:
        return "postgresql" if self.server_url else "sqlite"

    def create(self, name: str = "db") -> str:
        """Return the URL of a new, empty database."""
        unique = f"{name}_{uuid.uuid4().hex[:10]}".lower()
        if not self.server_url:
            return f"sqlite:///{self.directory / (unique + '.db')}"
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "test_{unique}"'))
        admin.dispose()
        self.created.append(f"test_{unique}")
        return make_url(self.server_url).set(database=f"test_{unique}").render_as_string(
            hide_password=False
        )

    def drop_all(self) -> None:
        if not self.server_url or not self.created:
            return
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for database in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
