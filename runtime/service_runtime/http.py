"""Small request helpers every service's routes share."""

from __future__ import annotations

from flask import request

from service_runtime.auth import current_user_id
from service_runtime.errors import InvalidInput

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


# The caller's identity comes from a verified access token (see service_runtime.auth).
__all__ = ["current_user_id", "idempotency_key"]
