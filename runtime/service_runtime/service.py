"""What a service tells the runtime about itself, so one CLI can run any service."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click
from sqlalchemy import MetaData

from service_runtime.consumer import Handlers
from service_runtime.db import Database


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    # The gunicorn app spec of the HTTP API, e.g. "order.app:create_app()".
    app: str
    api_port: int
    worker_port: int
    # The service's own tables and the folder of its Alembic branch (label = name).
    metadata: MetaData | None = None
    migrations: Path | None = None
    # Event handlers of its worker; None for a service that consumes nothing yet.
    handlers: Handlers | None = None
    commands: Sequence[click.Command] = field(default_factory=tuple)
    # More loops for the worker beside the relay and the consumer (senders, timers):
    # each factory gets the service's database and returns ``loop(stop_event)``.
    loops: Sequence[Callable[[Database], Callable[[threading.Event], None]]] = field(
        default_factory=tuple)
    # False for a stateless process (the gateway): no database, no outbox, no worker.
    stateful: bool = True

    @property
    def consumer_group(self) -> str:
        return os.environ.get("CONSUMER_GROUP", self.name)
