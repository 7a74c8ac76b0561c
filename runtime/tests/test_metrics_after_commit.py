"""Business metrics count committed changes only (``count_after_commit``,
``observe_after_commit``), and the pool gauges follow the connections in use."""

from __future__ import annotations

import pytest
from prometheus_client import Counter, Histogram
from sqlalchemy import text

from service_runtime.db import Database
from service_runtime.metrics import (
    DB_POOL_CHECKED_OUT,
    count_after_commit,
    observe_after_commit,
    watch_pool,
)

COUNTED = Counter("test_after_commit_total", "test", ["what"])
TIMED = Histogram("test_after_commit_seconds", "test", ["what"], buckets=(1, 10))


def value(metric, **labels) -> float:  # type: ignore[no-untyped-def]
    name = metric._name
    for family in metric.collect():
        for sample in family.samples:
            if sample.name in (f"{name}_total", f"{name}_count", name) and \
                    sample.labels == labels:
                return sample.value
    return 0.0


@pytest.fixture
def db(tmp_path):  # type: ignore[no-untyped-def]
    database = Database(f"sqlite:///{tmp_path}/metrics.db")
    yield database
    database.dispose()


def test_a_committed_transaction_counts_once_it_commits(db):
    before = value(COUNTED, what="committed")
    with db.transaction() as session:
        count_after_commit(session, COUNTED.labels("committed"), 2)
        count_after_commit(session, COUNTED.labels("committed"))
        observe_after_commit(session, TIMED.labels("committed"), 3.5)
        assert value(COUNTED, what="committed") == before  # not yet: it may roll back
    assert value(COUNTED, what="committed") == before + 3
    assert value(TIMED, what="committed") == 1


def test_a_rolled_back_transaction_counts_nothing_and_leaves_nothing_behind(db):
    with pytest.raises(RuntimeError), db.transaction() as session:
        count_after_commit(session, COUNTED.labels("rolled-back"))
        observe_after_commit(session, TIMED.labels("rolled-back"), 1)
        raise RuntimeError("the use case failed")
    assert value(COUNTED, what="rolled-back") == 0
    assert value(TIMED, what="rolled-back") == 0
    with db.transaction() as session:  # the next transaction of the session factory
        count_after_commit(session, COUNTED.labels("next"))
    assert value(COUNTED, what="rolled-back") == 0
    assert value(COUNTED, what="next") == 1


def test_the_pool_gauge_counts_the_connections_in_use(db):
    watch_pool("pool-test", db.engine)
    assert value(DB_POOL_CHECKED_OUT, service="pool-test") == 0
    with db.transaction() as session:
        session.execute(text("SELECT 1"))
        assert value(DB_POOL_CHECKED_OUT, service="pool-test") == 1
        with db.read() as other:
            other.execute(text("SELECT 1"))
            assert value(DB_POOL_CHECKED_OUT, service="pool-test") == 2
    assert value(DB_POOL_CHECKED_OUT, service="pool-test") == 0
