"""One engine and session factory per service database."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table, create_engine, event, literal, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.sql.dml import Insert

from service_runtime.config import normalise_database_url
from service_runtime.sqlite_writers import QueuedWriterConnection, lock_file_for


class Database:
    """``with db.transaction() as session:`` is one use case's one transaction."""

    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        self.url = normalise_database_url(url)
        if self.url.startswith("sqlite"):
            self.engine = create_engine(
                self.url, connect_args={"timeout": 30, "check_same_thread": False,
                                        "factory": QueuedWriterConnection},
            )
            _serialise_sqlite_writers(self.engine)
        else:
            self.engine = create_engine(
                self.url, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size
            )
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit on success, roll back on any exception."""
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A transaction for reading only; on SQLite it does not take the write lock."""
        with self.sessions.begin() as session:
            session.connection(execution_options={"shop_read_only": True})
            yield session

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def create_database_if_missing(url: str) -> bool:
    """Create the PostgreSQL database ``url`` names on its server unless it exists; True
    if this call created it. For a local stack (``./platform run``), whose user may create
    databases; production databases are provisioned, not made by the services. A SQLite
    file is made on first use, so there is nothing to do."""
    target = make_url(normalise_database_url(url))
    if target.get_backend_name() != "postgresql" or not target.database:
        return False
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            if connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": target.database}):
                return False
            name = connection.dialect.identifier_preparer.quote(target.database)
            connection.execute(text(f"CREATE DATABASE {name}"))
    finally:
        admin.dispose()
    return True


def insert_if_absent(session: Session, table: Any, **values: Any) -> bool:
    """Insert one row into ``table`` (a mapped class or Table) unless a row with the same
    unique key exists; True if this call inserted it.

    ``INSERT ... ON CONFLICT DO NOTHING`` on PostgreSQL and SQLite alike: a concurrent
    twin (another consumer, a retried request) is not an error and aborts nothing, while
    any other failure (a foreign key, a check) still raises.
    """
    statement = _insert_ignoring_twins(session.get_bind().dialect.name,
                                       getattr(table, "__table__", table))
    return session.execute(statement, values).first() is not None


@functools.lru_cache(maxsize=512)
def _insert_ignoring_twins(dialect: str, table: Table) -> Insert:
    """One statement per table, its values bound per call: building a statement and its
    cache key each time was a third of a consumer's cost of recording an event. The
    table, not its mapped class, so SQLAlchemy's ORM bulk machinery stays out of it."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: psycopg reports no row count for this statement.
    return insert(table).on_conflict_do_nothing().returning(literal(1))


_AFTER_COMMIT = "shop_after_commit"


def call_after_commit(session: Session, key: str,
                      callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` once after ``session``'s transaction commits (never if it rolls
    back); registering the same ``key`` again in one transaction changes nothing. Returns
    the callback registered under ``key`` (the first one)."""
    return session.info.setdefault(_AFTER_COMMIT, {}).setdefault(key, callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, {}).values():
        callback()


@event.listens_for(Session, "after_transaction_end")
def _forget_after_commit(session: Session, transaction: SessionTransaction) -> None:
    # Only the outermost transaction's end: a savepoint rolled back keeps what came before.
    if transaction.parent is None:
        session.info.pop(_AFTER_COMMIT, None)


def _serialise_sqlite_writers(engine: Engine) -> None:
    """Make every SQLite transaction ``BEGIN IMMEDIATE`` and wait for the lock.

    pysqlite's deferred transactions upgrade to a write lock lazily and then fail at
    once with "database is locked" when another process wrote in between; taking the
    lock up front makes concurrent processes (API, worker) queue instead, in the order
    a file lock gives them (:mod:`service_runtime.sqlite_writers`).
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        if isinstance(dbapi_connection, QueuedWriterConnection):
            path = lock_file_for(dbapi_connection)
            if path is not None:
                dbapi_connection.use_lock_file(path)

    @event.listens_for(engine, "begin")
    def on_begin(connection):  # type: ignore[no-untyped-def]
        if connection.get_execution_options().get("shop_read_only", False):
            connection.exec_driver_sql("BEGIN")
            return
        driver = connection.connection.driver_connection
        queued = isinstance(driver, QueuedWriterConnection)
        if queued:
            driver.queue_for_write()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if queued:
                driver.release_write_lock()
            raise
