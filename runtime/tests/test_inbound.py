"""``Inbound``/``InboundConsumer``: records that are not events (another system's feed),
applied once through the inbox, refused ones dead-lettered at once, failing ones retried
and then dead-lettered, with the event consumer's loop (real broker)."""

from __future__ import annotations

import json
import threading

import tally_service
from sqlalchemy import insert

from event_contracts.topics import dead_letter_topic
from service_runtime.config import DeliverySettings
from service_runtime.dead_letters import replay
from service_runtime.handlers import InvalidMessage
from service_runtime.inbound import Inbound
from service_runtime.inbound_consumer import InboundConsumer
from service_runtime.testing.kafka_tools import produce, read_topic
from service_runtime.testing.processes import wait_until

TOPIC = "partner.counts.inbound"
tries: list[int] = []
cured: list[bool] = []  # the operator fixed the cause of the failing records


def parse(value: bytes) -> dict:
    try:
        record = json.loads(value)
        return {"stream": str(record["stream"]), "seq": int(record["seq"])}
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidMessage(str(exc)) from exc


def apply(session, record: dict) -> None:  # type: ignore[no-untyped-def]
    tries.append(record["seq"])
    if record["stream"] == "refused":
        raise InvalidMessage("not ours")
    if record["stream"] == "failing" and not cured:
        raise RuntimeError("database trouble")
    session.execute(insert(tally_service.applied).values(
        event_id="-", stream=record["stream"], seq=record["seq"], worker="inbound"))


INBOUND = Inbound(name="partner", topic=TOPIC, parse=parse,
                  identity=lambda r: f"{r['stream']}:{r['seq']}", apply=apply)


def test_inbound_records_are_applied_once_and_what_cannot_be_is_dead_lettered(tally):
    tries.clear()
    cured.clear()
    consumer = InboundConsumer("tally", tally.db, INBOUND, tally.kafka,
                               DeliverySettings(consumer_max_attempts=3, consumer_backoff_ms=5))
    assert consumer.group == "tally.partner"
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,))
    thread.start()
    try:
        produce(tally.kafka, TOPIC, [
            ("a", {"stream": "a", "seq": 1}), ("a", {"stream": "a", "seq": 1}),  # twice
            ("a", {"stream": "a", "seq": 2}), ("x", b"not json"),
            ("r", {"stream": "refused", "seq": 7}), ("f", {"stream": "failing", "seq": 9}),
        ])
        dead_topic = dead_letter_topic("tally.partner")
        wait_until(lambda: len(read_topic(tally.kafka, dead_topic, timeout=2)) == 3, 60,
                   message="three dead letters")
        wait_until(lambda: len(tally.applied()) == 2, 30)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert [(row.stream, row.seq) for row in tally.applied()] == [("a", 1), ("a", 2)]
    assert sorted(r.key for r in read_topic(tally.kafka, dead_topic)) == [b"f", b"r", b"x"]
    assert tries.count(7) == 1  # refused: not retried
    assert tries.count(9) == 3  # failing: every attempt, then the dead letters
    # The operator fixed the cause: a replay applies it; the others fail again.
    cured.append(True)
    result = replay(tally.kafka, consumer.group, consumer.handle_record)
    consumer.dead_letters.close()
    assert (result.replayed, result.failed_again) == (1, 2)
    assert ("failing", 9) in [(row.stream, row.seq) for row in tally.applied()]


def test_unannounced_records_are_fetched_by_a_fallback_that_backs_off_while_idle(
        tally, monkeypatch):
    """Nothing wakes a consumer for another system's records: the fallback fetch finds
    them. While fallback fetches find nothing they come less often (up to the maximum);
    one that finds records starts again from the first interval."""
    from service_runtime import consumer as consumer_module

    monkeypatch.setattr(consumer_module, "SETTLING_S", 0.5)
    monkeypatch.setattr(consumer_module, "IDLE_FETCH_FIRST_S", 0.1)
    monkeypatch.setattr(consumer_module, "IDLE_FETCH_MAX_S", 0.8)
    consumer = InboundConsumer("tally", tally.db, INBOUND, tally.kafka,
                               DeliverySettings(consumer_backoff_ms=5))
    seen: list[float] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.append(consumer.idle_fetch_s)
            stop.wait(0.02)

    threads = [threading.Thread(target=consumer.run, args=(stop,)),
               threading.Thread(target=watch)]
    for thread in threads:
        thread.start()
    try:
        produce(tally.kafka, TOPIC, [("a", {"stream": "a", "seq": 1})])
        wait_until(lambda: len(tally.applied()) == 1, 30, message="the first record")
        wait_until(lambda: consumer.idle_fetch_s == 0.8, 30, message="backed off to the max")
        assert {0.2, 0.4} <= set(seen), "doubled on each empty fallback fetch"
        produce(tally.kafka, TOPIC, [("b", {"stream": "b", "seq": 1})])
        wait_until(lambda: len(tally.applied()) == 2, 30, message="found by the fallback")
        seen.clear()
        wait_until(lambda: 0.1 in seen or 0.2 in seen, 30,
                   message="the fallback that found records started again from the first")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert [(row.stream, row.seq) for row in tally.applied()] == [("a", 1), ("b", 1)]


def polls(group: str) -> dict[tuple[str, str], float]:
    """This process's ``consumer_polls_total`` of a group, by (reason, outcome)."""
    from prometheus_client import REGISTRY
    return {(sample.labels["reason"], sample.labels["outcome"]): sample.value
            for metric in REGISTRY.collect() if metric.name == "consumer_polls"
            for sample in metric.samples
            if sample.name == "consumer_polls_total" and sample.labels["group"] == group}


def test_a_woken_consumer_fetches_again_only_while_answers_say_records_are_left(
        tally, monkeypatch):
    """A poll cut short by its record limit is followed at once by another (no waiting for
    a wake or the fallback); after a batch that took every record the broker reported,
    the consumer sleeps without another fetch, which would only come back empty (every
    empty fetch parked at the embedded broker costs it milliseconds of CPU)."""
    import dataclasses

    from service_runtime import consumer as consumer_module
    from service_runtime.wake import topic_channel, wake

    monkeypatch.setattr(consumer_module, "SETTLING_S", 0.5)
    monkeypatch.setattr(consumer_module, "IDLE_FETCH_FIRST_S", 60.0)  # no fallback here
    kafka = dataclasses.replace(tally.kafka, max_poll_records=2)
    consumer = InboundConsumer("tally", tally.db, INBOUND, kafka,
                               DeliverySettings(consumer_backoff_ms=5))
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,))
    thread.start()
    try:
        produce(tally.kafka, TOPIC, [("a", {"stream": "a", "seq": 0})])  # settles the group
        wait_until(lambda: len(tally.applied()) == 1, 30, message="the first record")
        stop.wait(1.5)  # past the settling time after the assignment (0.5 s here)
        before = polls(consumer.group)
        produce(tally.kafka, TOPIC, [("a", {"stream": "a", "seq": seq}) for seq in range(1, 6)])
        wake([topic_channel(kafka.topic(TOPIC), kafka.bootstrap_servers)])  # as a relay does
        wait_until(lambda: len(tally.applied()) == 6, 10, message="five records, one wake")
        stop.wait(0.5)  # time for a fetch after the last batch, if one were made
        after = polls(consumer.group)
    finally:
        stop.set()
        thread.join(timeout=30)
    made = {key: after.get(key, 0) - before.get(key, 0) for key in after}
    assert made[("woken", "records")] == 1, made
    assert made[("plain", "records")] + made[("plain", "empty")] == 0
    assert made[("after_batch", "records")] == 2  # 2 + 2 + 1 records
    assert made[("after_batch", "empty")] == 0
    assert made[("fallback", "empty")] + made[("fallback", "records")] == 0
    assert [row.seq for row in tally.applied()] == [0, 1, 2, 3, 4, 5]
