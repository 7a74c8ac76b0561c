"""Ids that follow one piece of work through HTTP, the outbox and consumers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
causation_id: ContextVar[str | None] = ContextVar("causation_id", default=None)


def new_id() -> str:
    return uuid.uuid4().hex


def current_correlation_id() -> str:
    """The correlation id of the work in progress, or a fresh one for work started here."""
    return correlation_id.get() or new_id()


@contextmanager
def bound(**values: str | None) -> Iterator[None]:
    """Bind context ids for the duration of a block (a request, a handled event)."""
    tokens = [(var, var.set(values[name])) for name, var in _VARS.items() if name in values]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


_VARS = {
    "request_id": request_id,
    "correlation_id": correlation_id,
    "causation_id": causation_id,
}
