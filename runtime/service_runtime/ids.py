"""Timestamps and identifiers every service makes the same way."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC (what every stored timestamp is)."""
    return datetime.now(UTC)


def time_ordered_id(prefix: str) -> str:
    """``<prefix>_`` + milliseconds since the epoch (hex) + 40 random bits.

    Ids sort by creation time, so newest-first listings can page by id.
    """
    return f"{prefix}_{time.time_ns() // 1_000_000:012x}{secrets.token_hex(5)}"
