"""Small request helpers every service's routes share."""

from __future__ import annotations

from flask import request

from service_runtime.errors import InvalidInput, Unauthorized

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 200


def idempotency_key(required: bool = False) -> str | None:
    """The ``Idempotency-Key`` header: printable, at most 200 characters."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None or key == "":
        if required:
            raise InvalidInput(f"the {IDEMPOTENCY_HEADER} header is required")
        return None
    if len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise InvalidInput(
            f"{IDEMPOTENCY_HEADER} must be printable and at most {MAX_IDEMPOTENCY_KEY} characters"
        )
    return key


USER_HEADER = "X-User-Id"


def current_user_id() -> str:
    """The caller's user id.

    Until the user service issues signed tokens (next issue), the gateway forwards the
    caller's id in ``X-User-Id``. This is the single place that will verify the
    access token instead.
    """
    user_id = request.headers.get(USER_HEADER, "")
    if not user_id or len(user_id) > 64 or not user_id.isprintable():
        raise Unauthorized("sign in to do this")
    return user_id
