"""SQLite write transactions queue on a file lock, held from BEGIN to COMMIT or ROLLBACK."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading

import pytest
from sqlalchemy import text

from service_runtime.db import Database
from service_runtime.sqlite_writers import QueuedWriterConnection, lock_file_for


def lock_is_free(path: str) -> bool:
    """Whether another open file could take the lock now (without waiting)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'writers.db'}")
    with database.transaction() as session:
        session.execute(text("CREATE TABLE counter (n INTEGER)"))
        session.execute(text("INSERT INTO counter VALUES (0)"))
    yield database
    database.dispose()


def test_a_write_transaction_holds_the_lock_file_until_it_commits_or_rolls_back(db, tmp_path):
    path = f"{tmp_path / 'writers.db'}-writers"
    with db.transaction() as session:
        session.execute(text("UPDATE counter SET n = n + 1"))
        assert not lock_is_free(path)
    assert lock_is_free(path), "released at commit"
    with pytest.raises(RuntimeError), db.transaction() as session:
        session.execute(text("UPDATE counter SET n = n + 1"))
        raise RuntimeError("rolled back")
    assert lock_is_free(path), "released at rollback"
    with db.read() as session:
        assert session.execute(text("SELECT n FROM counter")).scalar() == 1
        assert lock_is_free(path), "a read takes no writer's lock"


def test_writers_of_two_databases_on_one_file_all_commit(db, tmp_path):
    # As an API and its worker: two engines, several threads each.
    other = Database(f"sqlite:///{tmp_path / 'writers.db'}")
    errors: list[Exception] = []

    def add(database: Database) -> None:
        try:
            for _ in range(25):
                with database.transaction() as session:
                    n = session.execute(text("SELECT n FROM counter")).scalar()
                    session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(database,))
               for database in (db, other, db, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.dispose()
    assert errors == []
    with db.read() as session:
        assert session.execute(text("SELECT n FROM counter")).scalar() == 100, "no lost update"


def test_a_thread_holding_the_lock_does_not_queue_behind_itself(tmp_path):
    file = str(tmp_path / "nested.db")
    first = sqlite3.connect(file, factory=QueuedWriterConnection, isolation_level=None)
    second = sqlite3.connect(file, factory=QueuedWriterConnection, isolation_level=None)
    path = lock_file_for(first)
    assert path == f"{file}-writers"
    first.use_lock_file(path)
    second.use_lock_file(path)
    first.queue_for_write()
    second.queue_for_write()  # would block forever if it waited for this thread's lock
    first.commit()
    assert lock_is_free(path)
    first.close()
    second.close()


def test_a_database_in_memory_has_no_lock_file():
    connection = sqlite3.connect(":memory:", factory=QueuedWriterConnection)
    assert lock_file_for(connection) is None
    connection.close()
