import threading

from sqlalchemy import text

from service_runtime.db import Database


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
