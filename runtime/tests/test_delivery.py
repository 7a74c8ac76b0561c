"""The delivery guarantees, proven with real processes, a real broker and a real database.

Each test runs the tally service (see tally_service.py): its handler adds a row per
application, so an event applied twice shows up as two rows.
"""

from __future__ import annotations

import dataclasses
import json
import signal
import time
from collections import Counter

from sqlalchemy import func, select
from tally_service import EVENT

from service_runtime.broker import start_broker
from service_runtime.tables import outbox_messages
from service_runtime.testing.kafka_tools import envelope, produce, read_topic
from service_runtime.testing.processes import free_port, wait_until

KILLED = -signal.SIGKILL


def unpublished(tally) -> int:
    with tally.db.transaction() as session:
        return session.execute(
            select(func.count()).where(outbox_messages.c.published_at.is_(None))
        ).scalar()


def assert_each_applied_once(tally, expected_seqs) -> None:
    rows = tally.applied()
    assert Counter(r.event_id for r in rows).most_common(1)[0][1] == 1, "an event applied twice"
    assert sorted(r.seq for r in rows) == sorted(expected_seqs)


def test_relay_killed_between_commit_and_publish_publishes_after_restart(tally):
    code, _ = tally.run("emit", "5")
    assert code == 0
    code, logs = tally.run("worker", SHOP_CRASH_AT="relay.before_publish")
    assert code == KILLED, logs
    assert read_topic(tally.kafka, EVENT, timeout=3) == []
    assert unpublished(tally) == 5

    worker = tally.worker()
    wait_until(lambda: tally.applied_count() == 5, 60, message="5 applied")
    wait_until(lambda: unpublished(tally) == 0, 30, message="outbox drained")
    assert len(read_topic(tally.kafka, EVENT)) == 5
    assert_each_applied_once(tally, range(5))
    assert worker.terminate() == 0


def test_relay_killed_after_publish_before_marking_publishes_twice_applies_once(tally):
    tally.run("emit", "5")
    code, logs = tally.run("worker", SHOP_CRASH_AT="relay.after_publish")
    assert code == KILLED, logs
    assert len(read_topic(tally.kafka, EVENT)) == 5
    assert unpublished(tally) == 5, "the crash came before the rows were marked"

    worker = tally.worker()
    wait_until(lambda: unpublished(tally) == 0, 60, message="outbox drained")
    wait_until(lambda: len(read_topic(tally.kafka, EVENT, timeout=3)) == 10, 30,
               message="every event published twice")
    wait_until(lambda: tally.applied_count() >= 5, 60, message="applied")
    # Give the duplicates time to arrive and be skipped.
    wait_until(lambda: worker_consumed_everything(tally), 30, message="lag 0")
    assert_each_applied_once(tally, range(5))
    assert no_dead_letters(tally)
    worker.terminate()


def no_dead_letters(tally) -> bool:
    return read_topic(tally.kafka, "tally.dead-letters", timeout=2) == []


def committed_offsets(tally) -> int:
    """The sum of the tally group's committed offsets over the topic's partitions."""
    from kafka.structs import TopicPartition

    from service_runtime.kafka import make_consumer

    consumer = make_consumer(tally.kafka, "tally")
    try:
        topic = tally.kafka.topic(EVENT)
        parts = consumer.partitions_for_topic(topic) or set()
        return sum(consumer.committed(TopicPartition(topic, p)) or 0 for p in parts)
    finally:
        consumer.close(autocommit=False)


def worker_consumed_everything(tally) -> bool:
    from service_runtime.kafka import make_consumer

    consumer = make_consumer(tally.kafka, "tally")
    try:
        from kafka.structs import TopicPartition

        topic = tally.kafka.topic(EVENT)
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        committed = {tp: (consumer.committed(tp) or 0) for tp in tps}
        records = read_topic(tally.kafka, EVENT, timeout=3)
        ends = Counter()
        for record in records:
            ends[record.partition] = max(ends[record.partition], record.offset + 1)
        return all(committed[tp] >= ends.get(tp.partition, 0) for tp in tps)
    finally:
        consumer.close(autocommit=False)


def test_same_event_delivered_three_times_has_one_effect(tally):
    event = envelope(EVENT, "s0", {"stream": "s0", "seq": 7})
    other = envelope(EVENT, "s0", {"stream": "s0", "seq": 8})
    produce(tally.kafka, EVENT, [("s0", event), ("s0", event), ("s0", event), ("s0", other)])
    worker = tally.worker()
    wait_until(lambda: tally.applied_count() >= 2, 60, message="applied")
    wait_until(lambda: worker_consumed_everything(tally), 30, message="lag 0")
    rows = tally.applied()
    assert [(r.event_id, r.seq) for r in rows] == [(event["id"], 7), (other["id"], 8)]
    assert no_dead_letters(tally), "duplicates are skipped, not failed"
    assert worker.terminate() == 0


def test_poison_message_is_dead_lettered_the_loop_moves_on_and_replay_brings_it_back(tally):
    good = envelope(EVENT, "s0", {"stream": "s0", "seq": 1})
    poison = envelope(EVENT, "s0", {"stream": "s0", "seq": 2, "poison": True})
    after = envelope(EVENT, "s0", {"stream": "s0", "seq": 3})
    produce(tally.kafka, EVENT, [("s0", good), ("s0", poison), ("s0", after)],
            headers=[("trace", b"abc")])
    produce(tally.kafka, EVENT, [("s0", b"{not json")])
    worker = tally.worker()
    wait_until(lambda: tally.applied_count() == 2, 60, message="the loop moved on")
    assert [r.seq for r in tally.applied()] == [1, 3]

    letters = wait_until(lambda: read_topic(tally.kafka, "tally.dead-letters", timeout=3), 30,
                         message="dead letters")
    by_value = {bytes(r.value): dict(r.headers) for r in letters}
    assert len(letters) == 2
    poison_headers = by_value[json.dumps(poison).encode()]
    assert poison_headers["trace"] == b"abc", "original headers are kept"
    assert poison_headers["dlq.original_topic"] == EVENT.encode()
    assert b"poisoned: s0#2" in poison_headers["dlq.error"]
    assert b"not a valid event" in by_value[b"{not json"]["dlq.error"]
    worker.terminate()

    with tally.db.transaction() as session:
        from tally_service import cures

        session.execute(cures.insert().values(id=1))
    code, logs = tally.run("replay-dead-letters")
    assert code == 0, logs
    assert "replayed 1, failed again 1" in logs  # the malformed one can never succeed
    assert [r.seq for r in tally.applied()] == [1, 3, 2]

    code, logs = tally.run("replay-dead-letters")
    assert "replayed 0, failed again 1" in logs, "the replayed letter is not replayed again"
    assert tally.applied_count() == 3


def killed_worker(tally, total: int, crash_at: str) -> None:
    """Emit ``total`` events and run a worker that SIGKILLs itself at ``crash_at`` the
    250th time it passes there."""
    tally.run("emit", str(total), "--streams", "8")
    code, logs = tally.run("worker", SHOP_CRASH_AT=crash_at, SHOP_CRASH_AFTER="250",
                           KAFKA_MAX_POLL_RECORDS="100")
    assert code == KILLED, logs


def assert_a_restart_applies_the_rest_once(tally, total: int) -> None:
    worker = tally.worker(KAFKA_MAX_POLL_RECORDS="100")
    wait_until(lambda: tally.applied_count() >= total, 90, message="all applied")
    wait_until(lambda: worker_consumed_everything(tally), 30, message="lag 0")
    assert_each_applied_once(tally, range(total))
    assert no_dead_letters(tally)
    assert worker.terminate() == 0


def test_consumer_sigkilled_after_a_commit_loses_nothing_and_applies_nothing_twice(tally):
    # Dies right after the database commit that applied the 250th event (with the events
    # applied in the same transaction), before their offsets are committed: a restart
    # gets them again and the inbox skips them.
    killed_worker(tally, 1200, "consumer.after_apply")
    assert 250 <= tally.applied_count() < 1200
    assert_a_restart_applies_the_rest_once(tally, 1200)


def test_consumer_sigkilled_inside_a_batch_transaction_keeps_none_of_it(tally):
    # Dies inside the transaction of a batch, right after the handler of its 250th event
    # ran: the batch's effects and inbox rows are rolled back together.
    killed_worker(tally, 1200, "consumer.in_batch")
    assert tally.applied_count() < 250
    assert tally.inbox_count() == tally.applied_count(), "effects and inbox rows go together"
    assert_a_restart_applies_the_rest_once(tally, 1200)


def test_two_consumers_in_one_group_share_partitions_and_keep_each_key_in_order(tally):
    first = tally.worker(WORKER_NAME="a")
    second = tally.worker(WORKER_NAME="b")
    first.wait_healthy(first.health_url)
    second.wait_healthy(second.health_url)
    streams, total = 12, 600
    tally.run("emit", str(total), "--streams", str(streams))
    wait_until(lambda: tally.applied_count() >= total, 90, message="all applied")
    wait_until(lambda: worker_consumed_everything(tally), 30, message="lag 0")
    rows = tally.applied()
    assert_each_applied_once(tally, range(total))
    assert {r.worker for r in rows} == {"a", "b"}, "both consumers got partitions"
    for stream in {r.stream for r in rows}:
        seqs = [r.seq for r in rows if r.stream == stream]
        assert seqs == sorted(seqs), f"{stream} applied out of order"
    assert first.terminate() == 0
    assert second.terminate() == 0


def test_relay_and_consumer_ride_out_a_broker_outage_and_a_broker_restart(tally):
    port = free_port()
    bootstrap = f"127.0.0.1:{port}"
    kafka = dataclasses.replace(tally.kafka, bootstrap_servers=bootstrap)
    tally.run("emit", "3")
    worker = tally.worker(KAFKA_BOOTSTRAP_SERVERS=bootstrap)
    time.sleep(3)
    assert worker.running(), "no broker is no reason to exit"
    assert unpublished(tally) == 3

    broker = start_broker("127.0.0.1", port)
    try:
        wait_until(lambda: tally.applied_count() == 3, 90, message="applied after the outage")
        broker.terminate()
        broker.wait(timeout=10)
        tally.run("emit", "2", "--streams", "2")
        time.sleep(2)
        assert unpublished(tally) == 2, "rows wait in the outbox while the broker is down"
        # The embedded broker keeps nothing: it comes back empty, like a new cluster.
        broker = start_broker("127.0.0.1", port)
        wait_until(lambda: unpublished(tally) == 0, 120, message="outbox drained after restart")
        wait_until(lambda: tally.applied_count() == 5, 120, message="applied after restart")
        assert sorted(r.seq for r in tally.applied()) == [0, 0, 1, 1, 2]
        assert len(read_topic(kafka, EVENT)) == 2
        assert worker.terminate() == 0
    finally:
        broker.kill()
        broker.wait(timeout=10)


def test_sigterm_finishes_the_batch_in_hand_commits_and_exits_cleanly(tally):
    tally.run("emit", "3000", "--streams", "8")
    worker = tally.worker(KAFKA_MAX_POLL_RECORDS="500")
    wait_until(lambda: tally.applied_count() >= 50, 60, 0.05, message="consuming")
    assert worker.terminate() == 0
    applied = tally.applied_count()
    assert applied < 3000, "stopped before the end, so the test means something"
    # Everything applied was committed and nothing committed was left unapplied:
    # a restart starts exactly where this worker stopped.
    assert committed_offsets(tally) == applied
