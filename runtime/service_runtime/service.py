"""What a service tells the runtime about itself, so one CLI can run any service."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click
from sqlalchemy import MetaData

from service_runtime.consumer import Handlers


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
    # False for a stateless process (the gateway): no database, no outbox, no worker.
    stateful: bool = True

    @property
    def consumer_group(self) -> str:
        return os.environ.get("CONSUMER_GROUP", self.name)
