"""A service's long-running process: outbox relay + consumer loop + ops HTTP endpoints.

SIGTERM or SIGINT asks every loop to finish what it holds (the consumer finishes its
polled batch and commits) and the process exits 0. A loop that dies of an error
stops the others and the process exits 1, so its supervisor restarts it.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass

from service_runtime.config import (
    DeliverySettings,
    KafkaSettings,
    WorkerSettings,
    database_url,
)
from service_runtime.consumer import EventConsumer
from service_runtime.db import Database
from service_runtime.inbound_consumer import InboundConsumer
from service_runtime.metrics import watch_pool
from service_runtime.ops import make_ops_server, ops_app
from service_runtime.outbox import OutboxRelay
from service_runtime.readiness import broker_check, database_check, schema_check
from service_runtime.service import ServiceDefinition
from service_runtime.settings import Environment, Settings
from service_runtime.tracing import configure_tracing

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerProcess:
    """Everything a worker process reads from the environment, read once at its start."""

    worker: WorkerSettings
    kafka: KafkaSettings
    delivery: DeliverySettings
    service: Settings

    @classmethod
    def from_env(cls, definition: ServiceDefinition) -> WorkerProcess:
        environment = Environment()
        settings = cls(WorkerSettings.read(environment), KafkaSettings.read(environment),
                       DeliverySettings.read(environment),
                       definition.settings.read(environment))
        environment.check()  # every bad variable at once, before anything starts
        return settings

    def consumer_group(self, definition: ServiceDefinition) -> str:
        return self.worker.consumer_group or definition.name


def build_consumer(definition: ServiceDefinition, db: Database,
                   settings: WorkerProcess) -> EventConsumer:
    handlers = definition.handlers_for(settings.service)
    assert handlers is not None
    return EventConsumer(definition.name, settings.consumer_group(definition), db, handlers,
                         settings.kafka, settings.delivery)


def run_worker(definition: ServiceDefinition, settings: WorkerProcess) -> int:
    kafka = settings.kafka
    configure_tracing(definition.name)  # off unless the OTEL_* variables ask for it
    db = Database(database_url(definition.name))
    watch_pool(f"{definition.name}-worker", db.engine)
    stop = threading.Event()
    failed = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        log.info("stopping", extra={"signal": signum})
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    # The ops endpoints take no bodies and no tokens: the API's settings do not apply.
    ops = ops_app(f"{definition.name}-worker", [
        database_check(db), schema_check(definition, db), broker_check(kafka)])
    host = settings.worker.host
    port = settings.worker.port or definition.worker_port
    server = make_ops_server(host, port, ops)
    threading.Thread(target=server.serve_forever, name="ops-http", daemon=True).start()

    relay = OutboxRelay(definition.name, db, kafka, settings.delivery)
    loops: list[tuple[str, Callable[[threading.Event], None]]] = [("outbox-relay", relay.run)]
    for factory in definition.loops_for(settings.service):
        loop = factory(db)  # a job's loop is named for its job
        loops.append((getattr(loop, "__name__", factory.__name__), loop))
    if definition.handlers is not None:
        loops.append(("consumer", build_consumer(definition, db, settings).run))
    for inbound in definition.inbound:
        loops.append((f"inbound-{inbound.name}", InboundConsumer(
            definition.name, db, inbound, kafka, settings.delivery).run))

    def guarded(name: str, loop: Callable[[threading.Event], None]) -> None:
        try:
            loop(stop)
        except Exception:
            log.exception("loop died", extra={"loop": name})
            failed.set()
            stop.set()

    threads = [threading.Thread(target=guarded, args=item, name=item[0]) for item in loops]
    for thread in threads:
        thread.start()
    log.info("worker started", extra={"ops": f"http://{host}:{port}"})
    while not stop.is_set():
        stop.wait(1)
    relay.wake()  # it sleeps until a commit wakes it: let it see the stop now
    for thread in threads:
        thread.join()
    server.shutdown()
    db.dispose()
    log.info("worker stopped")
    return 1 if failed.is_set() else 0
