"""``Idempotency-Key`` for commands that create money or orders.

The key is stored on the created row with a unique constraint on
(user_id, idempotency_key): a retry finds the first result, and two concurrent
requests with one key cannot both create. The row also keeps a fingerprint of the
request that created it, so a key sent again with another method, path or body is
refused (422 ``idempotency-key-reused``) instead of silently answered with the
result of a different request, as payment APIs do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service_runtime.db import Database
from service_runtime.errors import Problem

Created = TypeVar("Created")

# A sha256 hex digest: the width of the ``idempotency_fingerprint`` columns.
FINGERPRINT_LENGTH = 64


class IdempotencyKeyReused(Problem):
    status, slug, title = (422, "idempotency-key-reused",
                           "The Idempotency-Key was already used for a different request")


@dataclass(frozen=True)
class IdempotencyKey:
    """A client's key and the fingerprint of the request it came with."""

    value: str
    fingerprint: str


def canonical_json(body: Any) -> bytes:
    """One byte form per JSON value: key order and whitespace do not change a request."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True).encode("ascii")


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """sha256 over the method, the path and the body as the client sent it.

    The head is JSON-encoded so no path (a decoded one may hold a newline) can run
    into the body and make two different requests look alike.
    """
    head = json.dumps([method.upper(), path], ensure_ascii=True).encode("ascii")
    return hashlib.sha256(head + b"\n" + body).hexdigest()


def idempotency_columns(key: IdempotencyKey | None) -> dict[str, str | None]:
    """The values of a created row's ``idempotency_key`` and ``idempotency_fingerprint``."""
    return {"idempotency_key": key.value if key else None,
            "idempotency_fingerprint": key.fingerprint if key else None}


def create_once(db: Database, model: Any, user_id: str, key: IdempotencyKey | None,
                create: Callable[[], Created]) -> tuple[Created, bool]:
    """Return (what ``create`` made, True), or (what an earlier call with ``key`` made, False).

    ``model`` is the mapped class of the created rows; it has ``user_id``,
    ``idempotency_key`` and ``idempotency_fingerprint`` columns, and ``create`` fills
    the last two with :func:`idempotency_columns`. An earlier row made by a different
    request raises :class:`IdempotencyKeyReused`, before anything is written.
    """
    if key is None:
        return create(), True
    found = find_earlier(db, model, user_id, key)
    if found is not None:
        return found, False
    try:
        return create(), True
    except IntegrityError:
        # A concurrent request with the same key committed first.
        found = find_earlier(db, model, user_id, key)
        if found is not None:
            return found, False
        raise


def find_earlier(db: Database, model: Any, user_id: str, key: IdempotencyKey) -> Any | None:
    """The row an earlier request with ``key`` created (None if none did); one made by a
    request with another method, path or body raises :class:`IdempotencyKeyReused`."""
    with db.read() as session:
        found = session.scalars(
            select(model).where(model.user_id == user_id, model.idempotency_key == key.value)
        ).first()
    # Rows stored before fingerprints were kept have none: they replay as before.
    if found is not None and found.idempotency_fingerprint not in (None, key.fingerprint):
        raise IdempotencyKeyReused(
            "this Idempotency-Key was first sent with another method, path or body; "
            "send a new key for a new request")
    return found
