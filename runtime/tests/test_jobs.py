"""The background job loop on a real database: claiming, backoff, parking, the lease
between replicas, and a graceful stop."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Boolean, Integer, String, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_runtime.db import Database
from service_runtime.ids import utcnow
from service_runtime.jobs import PeriodicJob, RetryLater, RowJob, backoff
from service_runtime.types import UTCDateTime


class Base(DeclarativeBase):
    pass


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    parked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


@pytest.fixture
def db(new_database):
    database = Database(new_database("jobs"))
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


def add(db: Database, *ids: str, **columns) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        session.add_all(Task(id=task_id, **columns) for task_id in ids)


def task(db: Database, task_id: str) -> Task:
    with db.read() as session:
        found = session.get(Task, task_id)
    assert found is not None
    return found


def mark_done(db: Database, task_id: str, at: datetime) -> None:
    with db.transaction() as session:
        session.execute(update(Task).where(Task.id == task_id).values(done=True))


def job(run=mark_done, **options) -> RowJob:  # type: ignore[no-untyped-def]
    return RowJob(service="tests", name=options.pop("name", "tasks"), model=Task,
                  pending=lambda: Task.done.is_(False), run=run, **options)


def metric(name: str, job_name: str) -> float:
    return REGISTRY.get_sample_value(name, {"service": "tests", "job": job_name}) or 0.0


def failing(db: Database, task_id: str, at: datetime) -> None:
    raise RetryLater("the far side is down")


def test_a_pass_runs_the_due_rows_only_oldest_first(db):
    at = utcnow()
    add(db, "a", "b")
    add(db, "later", next_attempt_at=at + timedelta(minutes=1))
    add(db, "parked", parked_at=at)
    add(db, "finished", done=True)
    add(db, "held", lease_until=at + timedelta(minutes=1))
    ran: list[str] = []

    def run(db_: Database, task_id: str, at_: datetime) -> None:
        ran.append(task_id)
        mark_done(db_, task_id, at_)

    assert job(run).run_due(db, at).claimed == 2
    assert ran == ["a", "b"]
    assert (task(db, "a").done, task(db, "a").attempts, task(db, "a").lease_until) == (
        True, 1, None)
    assert job(run).run_due(db, at).claimed == 0, "done rows are not run again"
    assert job(run).run_due(db, at + timedelta(minutes=2)).claimed == 2
    assert sorted(ran[2:]) == ["held", "later"], "an expired lease is taken over"


def test_a_failing_row_backs_off_exponentially_with_jitter(db):
    add(db, "t")
    flaky = job(failing, max_attempts=10, first_backoff_s=2, max_backoff_s=10)
    at = utcnow()
    delays = []
    for _ in range(5):
        assert flaky.run_due(db, at).failed == 1
        assert flaky.run_due(db, at).claimed == 0, "not again before its backoff"
        row = task(db, "t")
        assert row.lease_until is None
        delays.append((row.next_attempt_at - at).total_seconds())
        at = row.next_attempt_at
    # 2, 4, 8, 16, 32 s, each plus up to 2 s of jitter, at most 10 s.
    for delay, base in zip(delays, [2, 4, 8, 16, 32], strict=True):
        assert min(base, 10) <= delay <= min(base + 2, 10)
    assert task(db, "t").attempts == 5
    assert 4 <= backoff(2, 2, 100) <= 6


def test_a_row_is_parked_after_its_last_attempt_counted_and_retried_on_request(db):
    add(db, "t", "ok")
    flaky = job(lambda d, task_id, at: failing(d, task_id, at) if task_id == "t"
                else mark_done(d, task_id, at), name="parking", max_attempts=3,
                first_backoff_s=1, max_backoff_s=1)
    runs, failures, parked = (metric(f"job_{kind}_total", "parking")
                              for kind in ("runs", "failures", "parked"))
    at = utcnow()
    for _ in range(3):
        flaky.run_due(db, at)
        at += timedelta(seconds=5)
    row = task(db, "t")
    assert (row.attempts, row.done) == (3, False) and row.parked_at is not None
    assert flaky.run_due(db, at + timedelta(days=1)).claimed == 0, "parked: never again"
    assert metric("job_parked_total", "parking") == parked + 1
    assert metric("job_failures_total", "parking") == failures + 3
    assert metric("job_runs_total", "parking") == runs + 4
    assert flaky.unpark(db) == 1
    assert (task(db, "t").attempts, task(db, "t").parked_at) == (0, None)
    assert flaky.run_due(db, at).claimed == 1


def test_two_replicas_on_one_database_never_run_a_row_twice(db):
    add(db, *(f"t{n:03}" for n in range(60)))
    ran: list[str] = []
    lock = threading.Lock()
    replicas = [Database(db.url), Database(db.url)]

    def run(db_: Database, task_id: str, at: datetime) -> None:
        with lock:
            ran.append(task_id)
        threading.Event().wait(0.002)  # hold the row a moment, so the replicas overlap
        mark_done(db_, task_id, at)

    stop = threading.Event()
    loops = [threading.Thread(target=job(run, batch=7, idle_s=0.01).loop(replica),
                              args=(stop,)) for replica in replicas]
    for loop in loops:
        loop.start()
    for _ in range(600):  # wait for the outcome, up to 60 s; no timing is asserted
        with db.read() as session:
            if not list(session.scalars(select(Task.id).where(Task.done.is_(False)))):
                break
        stop.wait(0.1)
    stop.set()
    for loop in loops:
        loop.join()
    for replica in replicas:
        replica.dispose()
    assert sorted(ran) == [f"t{n:03}" for n in range(60)], "each row exactly once"


def test_a_claim_another_replica_won_is_not_run(db):
    at = utcnow()
    add(db, "t")
    first = job()
    assert first._claim(db, "t", at) is not None
    assert first._claim(db, "t", at) is None, "held until its lease expires"
    assert job().run_due(db, at).claimed == 0


def test_a_stop_finishes_the_row_in_hand_and_starts_no_other(db):
    add(db, "a", "b", "c")
    stop = threading.Event()
    ran: list[str] = []

    def run(db_: Database, task_id: str, at: datetime) -> None:
        ran.append(task_id)
        stop.set()  # SIGTERM arrives while this row is being worked on
        mark_done(db_, task_id, at)

    job(run).loop(db)(stop)
    assert ran == ["a"] and task(db, "a").done and task(db, "a").lease_until is None
    assert not task(db, "b").done and task(db, "b").attempts == 0


def test_a_periodic_job_survives_a_failing_tick(db):
    stop = threading.Event()
    ticks: list[datetime] = []

    def tick(db_: Database, at: datetime) -> bool:
        ticks.append(at)
        if len(ticks) == 1:
            raise RuntimeError("database away")
        stop.set()
        return False

    failures = metric("job_failures_total", "periodic")
    PeriodicJob(service="tests", name="periodic", tick=tick, interval_s=0.001).loop(db)(stop)
    assert len(ticks) == 2
    assert metric("job_failures_total", "periodic") == failures + 1
