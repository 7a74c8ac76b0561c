"""Which schema describes which (event type, version), and validation both ways.

Producers validate strictly (an unknown field is a bug in the producer); consumers
validate tolerantly (unknown fields are ignored, so producers may add optional fields).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError

from event_contracts.compiled import (
    IncomingLoad,
    OutgoingCheck,
    compile_incoming,
    compile_outgoing,
)


class EventSchema(Schema):
    """Base of every event ``data`` schema: nested parts tolerate unknown fields."""

    class Meta:
        unknown = EXCLUDE


class ContractViolation(ValueError):
    """An event does not match its schema."""

    def __init__(self, event_type: str, version: int, errors: Any) -> None:
        super().__init__(f"{event_type} v{version} violates its contract: {errors}")
        self.event_type = event_type
        self.version = version
        self.errors = errors


class UnknownEvent(LookupError):
    """No schema is registered for an (event type, version)."""


class SchemaRegistry:
    def __init__(self) -> None:
        self._schemas: dict[tuple[str, int], type[Schema]] = {}
        self._loaders: dict[tuple[str, int, str], Schema] = {}
        self._outgoing_checks: dict[tuple[str, int], OutgoingCheck | None] = {}
        self._incoming_loads: dict[tuple[str, int], IncomingLoad | None] = {}
        self._latest: dict[str, int] = {}

    def register(self, event_type: str, version: int, schema: type[Schema]) -> None:
        key = (event_type, version)
        if key in self._schemas and self._schemas[key] is not schema:
            raise ValueError(f"{event_type} v{version} is registered twice")
        self._schemas[key] = schema
        self._latest[event_type] = max(version, self._latest.get(event_type, 0))

    def schema(self, event_type: str, version: int) -> type[Schema]:
        try:
            return self._schemas[(event_type, version)]
        except KeyError:
            raise UnknownEvent(f"no schema for {event_type} v{version}") from None

    def items(self) -> list[tuple[tuple[str, int], type[Schema]]]:
        return sorted(self._schemas.items())

    def event_types(self) -> list[str]:
        return sorted({event_type for event_type, _ in self._schemas})

    def latest_version(self, event_type: str) -> int:
        try:
            return self._latest[event_type]
        except KeyError:
            raise UnknownEvent(f"no schema for {event_type}") from None

    def validate_outgoing(self, event_type: str, version: int, data: dict) -> None:
        """Raise ContractViolation unless ``data`` is exactly what the schema allows."""
        key = (event_type, version)
        if key not in self._outgoing_checks:
            self._outgoing_checks[key] = compile_outgoing(self.schema(event_type, version))
        check = self._outgoing_checks[key]
        if check is not None and check(data):
            return  # the compiled check accepts only what marshmallow accepts
        self._load(event_type, version, data, unknown=RAISE)

    def parse_incoming(self, event_type: str, version: int, data: dict) -> dict:
        """Return ``data`` loaded by its schema; unknown fields are dropped."""
        key = (event_type, version)
        if key not in self._incoming_loads:
            self._incoming_loads[key] = compile_incoming(self.schema(event_type, version))
        fast = self._incoming_loads[key]
        if fast is not None and (loaded := fast(data)) is not None:
            return loaded  # what marshmallow's load gives for data the compiled check passes
        return self._load(event_type, version, data, unknown=EXCLUDE)

    def _load(self, event_type: str, version: int, data: dict, unknown: str) -> dict:
        # Schema instances hold no per-load state, so one per (type, version, mode) is reused.
        loader = self._loaders.get((event_type, version, unknown))
        if loader is None:
            loader = self.schema(event_type, version)(unknown=unknown)
            self._loaders[(event_type, version, unknown)] = loader
        try:
            return loader.load(data)
        except ValidationError as exc:
            raise ContractViolation(event_type, version, exc.messages) from exc


REGISTRY = SchemaRegistry()


def platform_schemas() -> list[tuple[tuple[str, int], type[Schema]]]:
    """The schemas defined in this package (tests may register schemas of their own)."""
    return [(key, s) for key, s in REGISTRY.items() if s.__module__.startswith("event_contracts.")]


def event_schema(event_type: str, version: int) -> Callable[[type[Schema]], type[Schema]]:
    """Class decorator: register a schema as the definition of an event type and version."""

    def register(schema: type[Schema]) -> type[Schema]:
        REGISTRY.register(event_type, version, schema)
        schema.event_type = event_type
        schema.event_version = version
        return schema

    return register
