"""``Idempotency-Key`` for commands that create money or orders.

The key is stored on the created row with a unique constraint on
(user_id, idempotency_key): a retry finds the first result, and two concurrent
requests with one key cannot both create.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from service_runtime.db import Database

Created = TypeVar("Created")


def create_once(db: Database, model: Any, user_id: str, key: str | None,
                create: Callable[[], Created]) -> tuple[Created, bool]:
    """Return (what ``create`` made, True), or (what an earlier call with ``key`` made, False).

    ``model`` is the mapped class of the created rows; it has ``user_id`` and
    ``idempotency_key`` columns.
    """
    if key is None:
        return create(), True

    def earlier() -> Created | None:
        with db.read() as session:
            return session.scalars(
                select(model).where(model.user_id == user_id, model.idempotency_key == key)
            ).first()

    found = earlier()
    if found is not None:
        return found, False
    try:
        return create(), True
    except IntegrityError:
        # A concurrent request with the same key committed first.
        found = earlier()
        if found is not None:
            return found, False
        raise
