"""Errors as ``application/problem+json`` (RFC 9457).

Domain code raises a :class:`Problem` subclass; the app factory turns it, and every
HTTP error Flask or webargs raises, into a problem document with a stable ``type``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# Flask and werkzeug are imported where a response is made: domain code raises these
# exceptions in workers too, which serve no API and need not load Flask.
if TYPE_CHECKING:
    from flask import Response

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:shop:problem:"


class Problem(Exception):
    """An error a client can act on. Subclasses fix ``status``, ``slug`` and ``title``."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"
    # Seconds after which the same request may succeed (sent as ``Retry-After``), for
    # states the platform reaches on its own a moment later.
    retry_after_s: int | None = None

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.extra = extra


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(Problem):
    status, slug, title = 409, "conflict", "Conflict"


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Authentication required"


class InvalidInput(Problem):
    """Input that is well-formed but breaks a rule the schema cannot express."""

    status, slug, title = 422, "validation-error", "The request has invalid fields"


class ServiceUnavailable(Problem):
    status, slug, title = 503, "service-unavailable", "Service unavailable"


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    from flask import Response, json

    body: dict[str, Any] = {"type": TYPE_PREFIX + slug, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_problem(error: Problem) -> Response:
    headers = {"Retry-After": str(error.retry_after_s)} if error.retry_after_s else None
    return problem_response(error.status, error.slug, error.title, error.detail, headers=headers,
                            **error.extra)


def http_slug(code: int) -> str:
    from werkzeug.http import HTTP_STATUS_CODES

    return HTTP_STATUS_CODES.get(code, "error").lower().replace(" ", "-").replace("'", "")


def field_errors(messages: Any) -> list[dict[str, Any]]:
    """Flatten webargs/marshmallow messages into ``[{location, field, messages}]``.

    ``{"json": {"lines": {0: {"quantity": ["Must be ..."]}}}}`` becomes
    ``[{"location": "json", "field": "lines.0.quantity", "messages": ["Must be ..."]}]``.
    """
    flat: list[dict[str, Any]] = []

    def walk(node: Any, location: str, path: list[str]) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                walk(child, location, [*path, str(key)])
        elif isinstance(node, list) and all(isinstance(m, str) for m in node):
            flat.append({"location": location, "field": ".".join(path), "messages": node})
        else:
            flat.append({"location": location, "field": ".".join(path), "messages": [str(node)]})

    if isinstance(messages, dict):
        for location, node in messages.items():
            walk(node, str(location), [])
    return flat
