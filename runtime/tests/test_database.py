import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from service_runtime.db import Database, insert_if_absent


def test_readers_see_committed_data_without_waiting_for_a_writer(new_database):
    db = Database(new_database("reads"))
    with db.transaction() as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
        session.execute(text("INSERT INTO t VALUES (1)"))
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with db.transaction() as session:
            session.execute(text("UPDATE t SET x = 2"))
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    holding.wait(10)
    try:
        with db.read() as session:
            # Had the read queued behind the writer's lock it would see 2.
            assert session.execute(text("SELECT x FROM t")).scalar() == 1
    finally:
        release.set()
        thread.join()
    with db.read() as session:
        assert session.execute(text("SELECT x FROM t")).scalar() == 2
    db.dispose()


def test_a_failed_transaction_rolls_back(new_database):
    db = Database(new_database("rollback"))
    with db.transaction() as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
    try:
        with db.transaction() as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            raise RuntimeError("use case failed")
    except RuntimeError:
        pass
    with db.read() as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 0
    db.dispose()


def test_insert_if_absent_inserts_once_and_still_refuses_other_violations(new_database):
    from sqlalchemy import CheckConstraint, Column, Integer, MetaData, String, Table

    things = Table("things", MetaData(), Column("code", String(10), primary_key=True),
                   Column("n", Integer, CheckConstraint("n >= 0"), nullable=False))
    db = Database(new_database("insert_once"))
    things.metadata.create_all(db.engine)
    with db.transaction() as session:
        assert insert_if_absent(session, things, code="a", n=1) is True
        assert insert_if_absent(session, things, code="a", n=2) is False
        assert insert_if_absent(session, things, code="b", n=3) is True
    with db.read() as session:
        assert session.execute(text("SELECT code, n FROM things ORDER BY code")).all() == [
            ("a", 1), ("b", 3)], "the twin changed nothing and the transaction went on"
    with pytest.raises(IntegrityError), db.transaction() as session:
        insert_if_absent(session, things, code="c", n=-1)
    db.dispose()
