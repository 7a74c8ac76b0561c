"""Consuming records that are not events: another system's feed of a shape of its own on
a topic it writes (the middle platform's member permissions sent back to the user service).

This module is what a service's definition names (no kafka-python: an API imports it);
the worker's loop is :class:`service_runtime.inbound_consumer.InboundConsumer`.

An :class:`Inbound` names the topic, how a record's bytes are parsed (``InvalidMessage``
for one that can never be applied), the record's identity (its inbox key: the same record
delivered twice is applied once) and the use case that applies it. The worker runs one
``InboundConsumer`` per ``Inbound`` of its definition, in a consumer group of its own
(``<service>.<name>``), with the event consumer's guarantees: parse, then apply in one
transaction with the inbox row, retried with backoff; what cannot be applied goes to the
group's dead-letter topic; offsets are committed after the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Inbound:
    name: str  # the consumer group is ``<service>.<name>``
    topic: str
    parse: Callable[[bytes], dict[str, Any]]  # raises InvalidMessage
    identity: Callable[[dict[str, Any]], str]  # what makes two deliveries one record
    apply: Callable[[Session, dict[str, Any]], None]  # in the inbox's transaction

    def group(self, service: str) -> str:
        return f"{service}.{self.name}"
