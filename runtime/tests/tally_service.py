"""A tiny service used to test the delivery machinery with real processes.

Its handler appends a row per applied event and never deduplicates by itself, so a
second application of one event shows up as a second row. It fails on events whose
data says ``poison`` until a ``cure`` row exists.

    python -m tally_service worker | replay-dead-letters | emit N | migrate
"""

from __future__ import annotations

import os
import sys

import click
from marshmallow import fields
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

from event_contracts.registry import REGISTRY, EventSchema
from service_runtime.cli import build_cli
from service_runtime.config import database_url
from service_runtime.consumer import Event, Handlers
from service_runtime.db import Database
from service_runtime.outbox import Outbox
from service_runtime.service import ServiceDefinition

EVENT = "TallyCounted"


class TallyCountedV1(EventSchema):
    stream = fields.String(required=True)
    seq = fields.Integer(required=True)
    poison = fields.Boolean(load_default=False)


if (EVENT, 1) not in dict(REGISTRY.items()):
    REGISTRY.register(EVENT, 1, TallyCountedV1)

metadata = MetaData()
applied = Table(
    "applied",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("stream", String(50), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("worker", String(50), nullable=False),
)
cures = Table("cures", metadata, Column("id", Integer, primary_key=True))

handlers = Handlers()
outbox = Outbox("tally")


@handlers.on(EVENT)
def count(session, event: Event) -> None:  # type: ignore[no-untyped-def]
    if event.data["poison"] and session.execute(select(cures.c.id)).first() is None:
        raise RuntimeError(f"poisoned: {event.data['stream']}#{event.data['seq']}")
    session.execute(
        insert(applied).values(
            event_id=event.id,
            stream=event.data["stream"],
            seq=event.data["seq"],
            worker=os.environ.get("WORKER_NAME", "w"),
        )
    )


@click.command(help="Write N events to the outbox (streams s0..s{streams-1}).")
@click.argument("count", type=int)
@click.option("--streams", type=int, default=1)
def emit(count: int, streams: int) -> None:
    db = Database(database_url("tally"))
    with db.transaction() as session:
        for seq in range(count):
            stream = f"s{seq % streams}"
            outbox.emit(session, EVENT, key=stream, data={"stream": stream, "seq": seq})


def create_app():  # type: ignore[no-untyped-def]
    """The tally's HTTP API: only the runtime's edges (ops endpoints, errors)."""
    from service_runtime.app import create_app as create_runtime_app

    return create_runtime_app("tally")


def create_schema(url: str) -> None:
    from service_runtime.migrate import upgrade

    upgrade(definition, url)
    db = Database(url)
    metadata.create_all(db.engine)
    db.dispose()


definition = ServiceDefinition(
    name="tally",
    app="tally_service:create_app()",
    api_port=0,
    worker_port=0,
    handlers=handlers,
    commands=[emit],
)

if __name__ == "__main__":
    sys.exit(build_cli(definition)())
