"""Flash items found sold out, answered by the gateway itself for a moment.

In a flash sale's storm nearly every attempt (``POST /api/v1/flash-sales/{session}/items/
{sku}/attempts``) is answered ``409 sold-out``. Once the marketing service answered so
for an item, this gateway process gives the same answer to the next attempts on that
item for ``GATEWAY_FLASH_SOLD_OUT_MEMO_MS`` (0: never), without verifying the token or
forwarding: that an item is sold out is public (``GET /flash-sales`` shows it), so a bad
token learns nothing from it, and the storm's losers cost neither a signature check nor
the upstream hop. An attempt without an ``Authorization`` header still goes upstream and
is told to sign in. A unit given back meanwhile (an order refused or cancelled) is sold
again once the memo lapses, as with the marketing service's own memo.
"""

from __future__ import annotations

import json
import re
import threading
import time

from flask import Request, Response

from service_runtime.auth import bearer_token

ATTEMPTS = re.compile(r"/api/v1/flash-sales/[^/]+/items/[^/]+/attempts\Z")
SOLD_OUT_SUFFIX = ":sold-out"
MAX_ITEMS = 1024  # items kept at once; past that the memo starts over


class SoldOutMemo:
    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._kept: dict[str, tuple[float, bytes, str]] = {}  # path -> until, body, type
        self._lock = threading.Lock()

    def answer(self, request: Request) -> Response | None:
        """The kept sold-out answer to this attempt, or None (then it goes upstream)."""
        if request.method != "POST" or self.ttl_s <= 0:
            return None
        kept = self._kept.get(request.path)
        if kept is None or kept[0] <= time.monotonic() or bearer_token() is None:
            return None
        return Response(kept[1], status=409, content_type=kept[2])

    def learn(self, request: Request, response: Response) -> Response:
        """Keep ``response`` if it is an attempt's sold-out answer; return it as it is."""
        if response.status_code != 409 or request.method != "POST" or self.ttl_s <= 0 \
                or not ATTEMPTS.match(request.path):
            return response
        body = response.get_data()
        try:
            kind = json.loads(body).get("type", "")
        except (ValueError, AttributeError):
            return response
        if isinstance(kind, str) and kind.endswith(SOLD_OUT_SUFFIX):
            with self._lock:
                if len(self._kept) >= MAX_ITEMS:
                    self._kept.clear()
                self._kept[request.path] = (time.monotonic() + self.ttl_s, body,
                                            response.content_type or "application/problem+json")
        return response
