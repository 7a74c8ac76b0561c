"""The consumer-lag gauge: true after every report, without asking the broker for positions
when nothing moved (an idle worker spent most of its CPU on those requests)."""

from __future__ import annotations

from kafka.structs import TopicPartition

from service_runtime.config import DeliverySettings, KafkaSettings
from service_runtime.consumer import EventConsumer, Handlers
from service_runtime.metrics import CONSUMER_LAG

A, B = TopicPartition("Lagged", 0), TopicPartition("Lagged", 1)


class BrokerView:
    """What a KafkaConsumer tells ``_report_lag``: assignment, high watermarks, positions
    (counted: each is a request to the broker)."""

    def __init__(self, highwater: dict, positions: dict) -> None:
        self.highwaters, self.positions, self.position_calls = highwater, positions, []

    def assignment(self) -> set:
        return set(self.highwaters)

    def highwater(self, tp):
        return self.highwaters[tp]

    def position(self, tp, timeout_ms=None):
        self.position_calls.append(tp)
        return self.positions[tp]


def lag(tp: TopicPartition) -> float:
    return CONSUMER_LAG.labels("svc", tp.topic, str(tp.partition), "lag-group")._value.get()


def test_lag_is_reported_once_and_then_only_for_partitions_that_moved():
    consumer = EventConsumer("svc", "lag-group", None, Handlers(), KafkaSettings(),
                             DeliverySettings())
    broker = BrokerView({A: 10, B: 4}, {A: 7, B: 4})
    consumer._report_lag(broker)
    assert (lag(A), lag(B)) == (3, 0)
    assert sorted(broker.position_calls) == [A, B]

    broker.position_calls.clear()
    consumer._report_lag(broker)
    assert broker.position_calls == [], "nothing appended or handled: no request"
    assert (lag(A), lag(B)) == (3, 0)

    consumer._handled_up_to[A] = 9  # two records handled, as the loop records them
    broker.highwaters[B] = 6  # two records appended, not yet handled
    consumer._report_lag(broker)
    assert (lag(A), lag(B)) == (1, 2)
    assert broker.position_calls == [B], "A's position is known from what it handled"


def test_a_partition_taken_away_is_no_longer_reported_and_forgotten():
    consumer = EventConsumer("svc", "lag-group", None, Handlers(), KafkaSettings(),
                             DeliverySettings())
    broker = BrokerView({A: 10, B: 4}, {A: 7, B: 4})
    consumer._report_lag(broker)
    del broker.highwaters[B]
    consumer._report_lag(broker)
    reported = {sample.labels["partition"] for metric in CONSUMER_LAG.collect()
                for sample in metric.samples if sample.labels["group"] == "lag-group"}
    assert reported == {"0"}
    broker.highwaters[B] = 4
    broker.position_calls.clear()
    consumer._report_lag(broker)
    assert broker.position_calls == [B], "a partition assigned again is asked afresh"
