"""Readiness across releases: a release is ready on its own schema and on later schemas
whose migrations keep it working (expand, or a contract that names it), never on an
older one. Real Alembic migrations (tally_migrations/) on a real database.

Release k is the code that ships tally_0001 .. tally_000k; the database is migrated by
one release's code and checked by another's, as during a rolling deployment.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from service_runtime.app import create_service_api
from service_runtime.compatibility import SchemaNotReady
from service_runtime.db import Database
from service_runtime.migrate import schema_check, upgrade
from service_runtime.service import ServiceDefinition
from service_runtime.tables import schema_compatibility

MIGRATIONS = Path(__file__).parent / "tally_migrations"


@pytest.fixture
def release(tmp_path):  # type: ignore[no-untyped-def]
    """``release(k)``: the tally service's definition as release k ships it (``extra``: more
    migration files, by name)."""

    def make(k: int, extra: dict[str, str] | None = None) -> ServiceDefinition:
        folder = tmp_path / "+".join([f"release-{k}", *sorted(extra or {})])
        if not folder.exists():
            folder.mkdir()
            for path in sorted(MIGRATIONS.glob("tally_*.py"))[:k]:
                shutil.copy(path, folder)
            for name, text in (extra or {}).items():
                (folder / name).write_text(text)
        return ServiceDefinition(name="tally", app="", api_port=0, worker_port=0,
                                 migrations=folder)

    return make


@pytest.fixture
def database(new_database):  # type: ignore[no-untyped-def]
    db = Database(new_database("compat"))
    yield db
    db.dispose()


def check(definition: ServiceDefinition, db: Database) -> None:
    schema_check(definition, db)()


def test_a_release_is_ready_on_its_own_schema_but_not_before_its_migrations_ran(
        release, database):
    with pytest.raises(SchemaNotReady, match="migrations not applied"):
        check(release(2), database)  # nothing migrated
    upgrade(release(1), database.url)
    with pytest.raises(SchemaNotReady, match="tally at tally_0001, this code needs tally_0002"):
        check(release(2), database)
    upgrade(release(2), database.url)
    check(release(2), database)


def test_the_running_release_stays_ready_when_the_next_one_only_expands(release, database):
    upgrade(release(3), database.url)
    check(release(2), database)
    check(release(1), database)


def test_a_contract_keeps_the_releases_it_names_and_stops_the_older_ones(release, database):
    upgrade(release(4), database.url)  # drops a column release 3 stopped reading
    check(release(4), database)
    check(release(3), database)
    with pytest.raises(SchemaNotReady, match="needs code from tally_0003 on; this code is at "
                                             "tally_0002"):
        check(release(2), database)


def test_a_contract_that_breaks_every_older_release(release, database):
    upgrade(release(5), database.url)
    check(release(5), database)
    with pytest.raises(SchemaNotReady, match="needs code from tally_0005"):
        check(release(4), database)


def test_each_migration_run_records_the_oldest_compatible_code_per_branch(release, database):
    upgrade(release(4), database.url)
    with database.engine.connect() as connection:
        rows = {row.branch: (row.head, row.oldest_compatible)
                for row in connection.execute(select(schema_compatibility))}
    assert rows == {"tally": ("tally_0004", "tally_0003"),
                    "runtime": ("runtime_0003", "runtime_0001")}


def test_a_newer_schema_without_its_record_is_not_one_to_run_on(release, database):
    upgrade(release(3), database.url)
    with database.engine.begin() as connection:
        connection.execute(schema_compatibility.delete())
    check(release(3), database)  # at its own head: no record needed
    with pytest.raises(SchemaNotReady, match="no revision this code knows or can check"):
        check(release(2), database)


UNDECLARED = '''"""a migration that says nothing about older code"""
from alembic import op

revision = "tally_0003"
down_revision = "tally_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("undeclared", __import__("sqlalchemy").Column("id", __import__(
        "sqlalchemy").Integer, primary_key=True))
'''


def test_a_migration_that_declares_nothing_counts_as_breaking_older_code(release, database):
    newer = release(2, {"tally_0003_undeclared.py": UNDECLARED})
    upgrade(newer, database.url)
    with pytest.raises(SchemaNotReady, match="needs code from tally_0003"):
        check(release(2), database)


def test_a_contract_must_name_itself_or_an_earlier_revision(release, database):
    bad = (MIGRATIONS / "tally_0004_drop_note_bodies.py").read_text().replace(
        'runs_with_code_from = "tally_0003"', 'runs_with_code_from = "tally_0009"')
    newer = release(3, {"tally_0004_drop_note_bodies.py": bad})
    with pytest.raises(ValueError, match="tally_0009"):
        upgrade(newer, database.url)


def test_readyz_of_the_running_release_through_a_rolling_deployment(release, database):
    app = create_service_api(release(2), database=database.url)
    client = app.test_client()
    try:
        upgrade(release(1), database.url)
        assert client.get("/readyz").status_code == 503
        upgrade(release(2), database.url)
        assert client.get("/readyz").json["checks"]["migrations"] == "ok"
        upgrade(release(3), database.url)  # the next release's migration Job ran
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.json
        upgrade(release(5), database.url)
        unready = client.get("/readyz")
        assert unready.status_code == 503
        assert "needs code from tally_0005" in unready.json["checks"]["migrations"]
    finally:
        app.extensions["db"].dispose()


def test_the_runtime_tables_match_the_runtime_migrations(release, database):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from service_runtime import tables

    upgrade(release(1), database.url)
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,
            "include_name": lambda name, type_, parents: type_ != "table"
            or name in tables.metadata.tables})
        assert compare_metadata(context, tables.metadata) == []
