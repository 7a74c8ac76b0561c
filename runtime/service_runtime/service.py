"""What a service tells the runtime about itself, so one CLI can run any service."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from sqlalchemy import MetaData

from service_runtime.db import Database
from service_runtime.handlers import Handlers
from service_runtime.inbound import Inbound
from service_runtime.settings import NoSettings, Settings

Loop = Callable[[threading.Event], None]
LoopFactory = Callable[[Database], Loop]


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    # The gunicorn app spec of the HTTP API, e.g. "order.app:create_app()".
    app: str
    # The only place a service's ports are written: the Procfile, the gateway's laptop
    # defaults and the Kubernetes manifests take them from here.
    api_port: int
    worker_port: int
    # The service's own tables and the folder of its Alembic branch (label = name).
    metadata: MetaData | None = None
    migrations: Path | None = None
    # The service's own settings: read once when a process starts (the CLI checks them
    # before it starts one), then passed to the app, the handlers and the loops.
    settings: type[Settings] = NoSettings
    # Event handlers of its worker, or a function of the service's settings returning
    # them; None for a service that consumes nothing yet.
    handlers: Handlers | Callable[[Any], Handlers] | None = None
    commands: Sequence[click.Command] = field(default_factory=tuple)
    # More loops for the worker beside the relay and the consumer (senders, timers):
    # each factory gets the service's database and returns ``loop(stop_event)``. Or a
    # function of the service's settings returning such factories.
    loops: Sequence[LoopFactory] | Callable[[Any], Sequence[LoopFactory]] = field(
        default_factory=tuple)
    # Topics of other systems' records (not events) its worker consumes, each in a
    # consumer group of its own.
    inbound: Sequence[Inbound] = field(default_factory=tuple)
    # False for a stateless process (the gateway): no database, no outbox, no worker.
    stateful: bool = True

    def handlers_for(self, settings: Settings) -> Handlers | None:
        if self.handlers is None or isinstance(self.handlers, Handlers):
            return self.handlers
        return self.handlers(settings)

    def loops_for(self, settings: Settings) -> Sequence[LoopFactory]:
        return self.loops(settings) if callable(self.loops) else self.loops

