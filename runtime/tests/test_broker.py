"""``shop-broker``, the embedded default's broker process: it starts the broker, creates
every event topic and the named groups' dead-letter topics, reports ready, and stops the
broker when it is told to stop."""

from __future__ import annotations

import socket
import sys

from kafka import KafkaAdminClient

from event_contracts.topics import dead_letter_topic, event_topics
from service_runtime.testing.processes import ServiceProcess, free_port, wait_until


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_the_broker_command_creates_every_topic_and_stops_with_its_broker(tmp_path):
    port = free_port()
    process = ServiceProcess(
        "shop-broker",
        [sys.executable, "-m", "service_runtime.broker", "--port", str(port),
         "--groups", "order,payment"],
        {}, tmp_path).start()
    try:
        wait_until(lambda: "broker ready" in process.logs(), timeout=60,
                   message="the broker to be ready")
        admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}")
        try:
            topics = set(admin.list_topics())
        finally:
            admin.close()
        assert {*event_topics(), dead_letter_topic("order"), dead_letter_topic("payment")} \
            <= topics
        assert dead_letter_topic("cart") not in topics
        process.terminate()
        wait_until(lambda: not listening(port), timeout=30, message="the broker to stop")
    finally:
        process.kill()
