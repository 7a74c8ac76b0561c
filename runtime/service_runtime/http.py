"""Small request helpers every service's routes share."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import request
from flask_smorest import Blueprint

from service_runtime.app import ProblemSchema
from service_runtime.auth import current_user_id
from service_runtime.errors import PROBLEM_JSON, InvalidInput
from service_runtime.idempotency import IdempotencyKey, canonical_json, request_fingerprint

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 200

View = TypeVar("View", bound=Callable)


def idempotency_key(required: bool = False) -> IdempotencyKey | None:
    """The ``Idempotency-Key`` header (printable, at most 200 characters) with the
    fingerprint of this request, for :func:`service_runtime.idempotency.create_once`."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None or key == "":
        if required:
            raise InvalidInput(f"the {IDEMPOTENCY_HEADER} header is required")
        return None
    if len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise InvalidInput(
            f"{IDEMPOTENCY_HEADER} must be printable and at most {MAX_IDEMPOTENCY_KEY} characters"
        )
    return IdempotencyKey(key, request_fingerprint(request.method, request.path, _sent_body()))


def _sent_body() -> bytes:
    """The body as the client sent it, in a canonical form when it is JSON.

    What the client sent, not what the schema made of it: a default filled in is not
    part of the request, and a field added later must not change old requests.
    """
    raw = request.get_data(cache=True)
    sent = request.get_json(silent=True) if request.is_json else None
    if sent is None:
        return raw
    try:
        return canonical_json(sent)
    except (ValueError, RecursionError):
        return raw  # accepted by the schema already; the raw bytes still identify it


def idempotent(blp: Blueprint) -> Callable[[View], View]:
    """Document an operation that takes an ``Idempotency-Key``: the header and its 422.

    The 422 replaces the one ``@blp.arguments`` documents, so it names both causes.
    """
    header = blp.doc(parameters=[{
        "in": "header", "name": IDEMPOTENCY_HEADER, "required": False,
        "schema": {"type": "string", "maxLength": MAX_IDEMPOTENCY_KEY},
        "description": "Makes a retry safe: the same key with the same request returns the "
                       "first result (200); with another method, path or body it is a 422 "
                       "`urn:shop:problem:idempotency-key-reused`.",
    }])
    unprocessable = blp.alt_response(
        422, schema=ProblemSchema, content_type=PROBLEM_JSON,
        description="Invalid fields (`urn:shop:problem:validation-error` and the service's "
                    "own rules), or an Idempotency-Key already used for a different request "
                    "(`urn:shop:problem:idempotency-key-reused`)")

    def document(view: View) -> View:
        return header(unprocessable(view))

    return document


# The caller's identity comes from a verified access token (see service_runtime.auth).
__all__ = ["current_user_id", "idempotency_key", "idempotent"]
