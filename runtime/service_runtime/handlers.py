"""What a service's event handlers see: the received :class:`Event` and the
:class:`Handlers` registry its definition names, and :func:`decode` of a record's value.

Apart from :mod:`service_runtime.consumer` (which runs them) because a service's API
imports its definition, and so its handlers, but never consumes: this module needs
neither kafka-python nor the consumer's machinery.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from event_contracts import REGISTRY, ContractViolation, UnknownEvent
from event_contracts.envelope import EnvelopeSchema


@dataclass(frozen=True)
class Event:
    """A received event: the envelope's fields and the validated ``data``."""

    id: str
    type: str
    version: int
    source: str
    occurred_at: datetime
    key: str
    correlation_id: str
    causation_id: str | None
    data: dict[str, Any]


Handler = Callable[[Session, Event], None]


class InvalidMessage(Exception):
    """The record is not an event this consumer can understand; retrying cannot help."""


class Handlers:
    """Which function handles which event type (and which versions of it)."""

    def __init__(self) -> None:
        self._handlers: dict[str, tuple[Handler, tuple[int, ...]]] = {}

    def on(self, event_type: str, versions: tuple[int, ...] = (1,)) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for version in versions:
                REGISTRY.schema(event_type, version)  # fail at start-up, not at runtime
            self._handlers[event_type] = (handler, versions)
            return handler

        return register

    @property
    def event_types(self) -> list[str]:
        return sorted(self._handlers)

    def resolve(self, event_type: str, version: int) -> Handler:
        try:
            handler, versions = self._handlers[event_type]
        except KeyError:
            raise InvalidMessage(f"no handler for {event_type}") from None
        if version not in versions:
            raise InvalidMessage(f"{event_type} v{version} is not supported (only {versions})")
        return handler


# Schema instances hold no per-load state: building one per record was a seventh of
# decoding an event.
_ENVELOPE = EnvelopeSchema()


def decode(value: bytes) -> Event:
    try:
        envelope = _ENVELOPE.load(json.loads(value))
        data = REGISTRY.parse_incoming(envelope["type"], envelope["version"], envelope["data"])
    except (ValueError, ValidationError, ContractViolation, UnknownEvent) as exc:
        raise InvalidMessage(f"not a valid event: {exc}") from exc
    return Event(
        id=str(envelope["id"]),
        type=envelope["type"],
        version=envelope["version"],
        source=envelope["source"],
        occurred_at=envelope["occurred_at"],
        key=envelope["key"],
        correlation_id=envelope["correlation_id"],
        causation_id=envelope.get("causation_id"),
        data=data,
    )
