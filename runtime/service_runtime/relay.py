"""Relaying another service's answer: described exactly, not re-serialised.

A service that passes on another's JSON (the cart's ``pricing``, the order's checkout
preview: both marketing's quote) documents it with the producer's schema, but dumping a
large nested answer field by field through marshmallow cost more than computing it. The
producer's own tests hold its answer to that schema, and the relaying service checks
what it relies on; the relay sends the answer as it came.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields


class Relayed(fields.Nested):
    """A nested field whose OpenAPI description is the nested schema (``$ref`` as any
    ``Nested``) and whose value is sent as given (a dict already in the schema's shape)."""

    def _serialize(self, nested_obj: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return nested_obj
