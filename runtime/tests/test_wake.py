"""Commits wake the relay, publishing wakes consumers: wake sockets and NOTIFY."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
import tally_service
from sqlalchemy import func, select

from service_runtime.config import DeliverySettings
from service_runtime.db import Database
from service_runtime.outbox import OutboxRelay, relay_channel
from service_runtime.tables import outbox_messages
from service_runtime.testing.kafka_tools import read_topic
from service_runtime.testing.processes import wait_until
from service_runtime.wake import Waiter, topic_channel, wake


@pytest.fixture
def db(tally_db):
    return tally_db


def emit(db: Database, fail: bool = False) -> None:
    with db.transaction() as session:
        tally_service.outbox.emit(session, tally_service.EVENT, key="s0",
                                  data={"stream": "s0", "seq": 1})
        if fail:
            raise RuntimeError("rolled back")


def test_a_waiter_sleeps_until_its_channel_is_woken_and_each_wake_counts_once():
    waiter = Waiter("test-wake-a", "test-wake-b")
    try:
        assert waiter.wait(0) is False
        wake(["test-wake-other"])
        assert waiter.wait(0.05) is False, "another channel's wake is not ours"
        wake(["test-wake-b"])
        wake(["test-wake-b"])
        assert waiter.wait(5) is True
        assert waiter.wait(0) is False, "the wakes that came were used up together"
    finally:
        waiter.close()


def test_a_topic_s_wake_reaches_only_the_consumers_of_that_broker():
    # Stacks on one machine (tests, benchmarks) share topic names, not brokers.
    waiter = Waiter(topic_channel("t-OrderPlaced", "127.0.0.1:1111"))
    try:
        wake([topic_channel("t-OrderPlaced", "127.0.0.1:2222")])
        assert waiter.wait(0.05) is False, "another broker's topic is not ours"
        wake([topic_channel("t-OrderPlaced", "127.0.0.1:1111")])
        assert waiter.wait(5) is True
    finally:
        waiter.close()


def test_another_process_wakes_a_waiter_through_the_directory():
    waiter = Waiter("test-wake-cross")
    try:
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", "from service_runtime.wake import wake; "
                        "wake(['test-wake-cross'])"], check=True)
        assert waiter.wait(10) is True
        assert time.monotonic() - started < 10
    finally:
        waiter.close()


def test_committing_outbox_rows_wakes_the_relay_and_a_rollback_does_not(db):
    waiter = Waiter(relay_channel(db.engine))
    try:
        with pytest.raises(RuntimeError):
            emit(db, fail=True)
        assert waiter.wait(0.1) is False
        emit(db)
        assert waiter.wait(5) is True
    finally:
        waiter.close()


def test_a_savepoint_rolled_back_after_an_emit_keeps_the_wake_at_commit(db):
    waiter = Waiter(relay_channel(db.engine))
    try:
        with db.transaction() as session:
            tally_service.outbox.emit(session, tally_service.EVENT, key="s0",
                                      data={"stream": "s0", "seq": 1})
            with pytest.raises(RuntimeError), session.begin_nested():
                raise RuntimeError("only the savepoint goes")
            assert waiter.wait(0.05) is False, "nothing before the commit"
        assert waiter.wait(5) is True
    finally:
        waiter.close()


def test_a_relay_wakes_at_another_process_commit_long_before_its_fallback_poll(tally, tmp_path):
    """On SQLite through the wake socket; on PostgreSQL through NOTIFY alone (the other
    process's wake directory is elsewhere, as on another machine)."""
    delivery = DeliverySettings(relay_poll_interval_ms=120_000)
    relay = OutboxRelay("tally", tally.db, tally.kafka, delivery)
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,))
    thread.start()
    try:
        time.sleep(2)  # the relay found nothing and sleeps
        postgres = tally.db.engine.dialect.name == "postgresql"
        elsewhere = {"TMPDIR": str(tmp_path)} if postgres else {}
        code, logs = tally.run("emit", "3", **elsewhere)
        assert code == 0, logs
        wait_until(lambda: len(read_topic(tally.kafka, tally_service.EVENT, timeout=1)) == 3, 30,
                   message="published well before the 120 s poll")
        wait_until(lambda: unpublished(tally.db) == 0, 10, message="marked published")
    finally:
        stop.set()
        relay.wake()
        thread.join(timeout=30)
    assert not thread.is_alive()


def unpublished(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).where(outbox_messages.c.published_at.is_(None)))
