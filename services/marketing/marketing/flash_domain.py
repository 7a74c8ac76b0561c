"""Flash-sale vocabulary and problems (plain Python)."""

from __future__ import annotations

from enum import StrEnum

from service_runtime.errors import Conflict, InvalidInput, NotFound


class FlashSessionStatus(StrEnum):
    SCHEDULED = "scheduled"  # before and during its window
    ENDED = "ended"  # FlashSessionEnded sent (its end passed, or ended early)


class FlashStockStatus(StrEnum):
    PENDING = "pending"  # the catalog has not answered FlashStockHeld yet
    HELD = "held"


class AttemptStatus(StrEnum):
    PENDING = "pending"  # won at the gate; its order is being made
    ORDERED = "ordered"
    REJECTED = "rejected"  # no order could be made (FlashOrderRejected): units given back
    CANCELLED = "cancelled"  # its order was cancelled (unpaid, ...): units given back


LIVE_ATTEMPTS = (AttemptStatus.PENDING.value, AttemptStatus.ORDERED.value)


class SessionNotFound(NotFound):
    slug, title = "flash-session-not-found", "No such flash session or item"


class AttemptNotFound(NotFound):
    slug, title = "flash-attempt-not-found", "No such flash attempt"


class InvalidSession(InvalidInput):
    slug, title = "invalid-flash-session", "The session's fields do not fit together"


class SoldOut(Conflict):
    slug, title = "sold-out", "Sold out"


class LimitReached(Conflict):
    slug, title = "limit-reached", "You already have as many as a buyer may"


class NotStarted(Conflict):
    slug, title = "not-started", "The flash session has not started"


class Ended(Conflict):
    slug, title = "ended", "The flash session is over"
