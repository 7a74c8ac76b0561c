"""Relaying another service's answer: described exactly, not re-serialised.

A service that passes on another's JSON (the cart's ``pricing``, the order's checkout
preview: both marketing's quote) documents it with the producer's schema, but dumping a
large nested answer field by field through marshmallow cost more than computing it. The
producer's own tests hold its answer to that schema, and the relaying service checks
what it relies on; the relay sends the answer as it came.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields


class Relayed(fields.Nested):
    """A nested field whose OpenAPI description is the nested schema (``$ref`` as any
    ``Nested``) and whose value is sent as given (a dict already in the schema's shape),
    but for top-level keys the schema does not declare (parts a relay leaves out)."""

    def _serialize(self, nested_obj: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if nested_obj is None:
            return None
        declared = self.schema.dump_fields
        return {key: value for key, value in nested_obj.items() if key in declared}


def relayed_schema(schema: type[Schema]) -> type[Schema]:
    """``schema`` as a response schema of a route that relays another service's answer:
    documented as ``schema`` (same component name), dumped as given (its declared
    top-level keys only)."""

    class RelayedAnswer(schema):  # type: ignore[valid-type, misc]
        def dump(self, obj: Any, *, many: bool | None = None) -> Any:
            declared = self.dump_fields
            return {key: value for key, value in obj.items() if key in declared}

    RelayedAnswer.__name__ = RelayedAnswer.__qualname__ = schema.__name__
    return RelayedAnswer
