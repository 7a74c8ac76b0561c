"""One paging rule for every list: ``?limit=`` and ``?cursor=``.

A cursor is what the previous page returned as ``next_cursor`` (the key of its last
row). Each list says what its keys look like; anything else is a 422
``validation-error`` naming ``cursor``, never an empty page that looks like the end.
An empty ``cursor=`` means the first page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Generic, TypeVar

from marshmallow import Schema, ValidationError, fields

from service_runtime.bounds import QueryInteger

MAX_CURSOR_LENGTH = 512
# The keys service_runtime.ids.time_ordered_id makes: <prefix>_ + 22 hex digits.
TIME_ORDERED_ID = r"[a-z]+_[0-9a-f]{22}"
NOT_A_CURSOR = "Not a cursor this list returned."

T = TypeVar("T")


class Cursor(fields.String):
    """A ``next_cursor`` of this list: it must match ``pattern`` and, with ``decode``,
    decode (``ValueError``/``TypeError`` mean malformed) into what the query needs."""

    def __init__(self, pattern: str = TIME_ORDERED_ID,
                 decode: Callable[[str], Any] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("load_default", None)
        kwargs.setdefault("allow_none", True)
        metadata = {"description": "next_cursor of the previous page",
                    **kwargs.pop("metadata", {})}
        # Documented, so a client or contract tester knows the shape (OpenAPI: ECMA regex).
        metadata.setdefault("pattern", f"^(?:{pattern})?$")  # empty: the first page
        metadata.setdefault("maxLength", MAX_CURSOR_LENGTH)
        super().__init__(metadata=metadata, **kwargs)
        self.pattern = re.compile(pattern)
        self.decode = decode

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        token = super()._deserialize(value, attr, data, **kwargs)
        if token == "":
            return None
        if len(token) > MAX_CURSOR_LENGTH or not self.pattern.fullmatch(token):
            raise ValidationError(NOT_A_CURSOR)
        if self.decode is None:
            return token
        try:
            return self.decode(token)
        except (ValueError, TypeError) as exc:
            raise ValidationError(NOT_A_CURSOR) from exc


def page_limit(default: int = 20, maximum: int = 100) -> QueryInteger:
    return QueryInteger(minimum=1, maximum=maximum, load_default=default,
                        metadata={"description": f"Items per page, at most {maximum}"})


class PageQuerySchema(Schema):
    """``limit`` and a time-ordered-id ``cursor``; lists keyed otherwise override it."""

    limit = page_limit()
    cursor = Cursor()


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, as a page schema (``items``, ``next_cursor``) serialises it."""

    items: list[T]
    next_cursor: str | None


def page_of(rows: Sequence[T], limit: int,
            cursor_of: Callable[[T], str] = attrgetter("id")) -> Page[T]:
    """``limit + 1`` rows were read (one more than a page, to learn whether another page
    follows): the page, and the cursor of the next one (None on the last page)."""
    items = list(rows[:limit])
    return Page(items, cursor_of(items[-1]) if len(rows) > limit else None)
