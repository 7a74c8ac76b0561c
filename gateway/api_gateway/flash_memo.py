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

When the memo lapses, one attempt goes upstream to ask again while the others are still
answered from it (for at most another ``ttl``): otherwise every attempt arriving during
that round trip would go upstream at once, and the busier the service, the longer the
trip and the bigger that herd. An answer other than sold-out (a win, the session over)
drops the memo.
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
LIMIT_SUFFIX = ":limit-reached"  # about the buyer, not the item
MAX_ITEMS = 1024  # items kept at once; past that the memo starts over


class SoldOutMemo:
    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._kept: dict[str, tuple[float, bytes, str]] = {}  # path -> until, body, type
        self._asking: dict[str, float] = {}  # path -> until when one attempt asks upstream
        self._lock = threading.Lock()

    def answer(self, request: Request) -> Response | None:
        """The kept sold-out answer to this attempt, or None (then it goes upstream)."""
        if request.method != "POST" or self.ttl_s <= 0:
            return None
        path = request.path
        kept = self._kept.get(path)
        if kept is None or bearer_token() is None:
            return None
        now = time.monotonic()
        if kept[0] <= now:
            with self._lock:
                if self._asking.get(path, 0.0) <= now:
                    self._asking[path] = now + self.ttl_s
                    return None  # this one asks upstream again
        return Response(kept[1], status=409, content_type=kept[2])

    def learn(self, request: Request, response: Response) -> Response:
        """Keep ``response`` if it is an attempt's sold-out answer; return it as it is."""
        if request.method != "POST" or self.ttl_s <= 0 or not ATTEMPTS.match(request.path):
            return response
        if response.status_code != 409:
            if response.status_code < 300:  # a unit was sold: there are some again
                self.forget(request.path)
            return response  # 401, 422, 5xx: no news about the item
        body = response.get_data()
        try:
            kind = json.loads(body).get("type", "")
        except (ValueError, AttributeError):
            return response
        if not isinstance(kind, str):
            return response
        if kind.endswith(SOLD_OUT_SUFFIX):
            with self._lock:
                if len(self._kept) >= MAX_ITEMS:
                    self._kept.clear()
                    self._asking.clear()
                self._kept[request.path] = (time.monotonic() + self.ttl_s, body,
                                            response.content_type or "application/problem+json")
                self._asking.pop(request.path, None)
        elif not kind.endswith(LIMIT_SUFFIX):  # the session ended, or has not started
            self.forget(request.path)
        return response

    def forget(self, path: str) -> None:
        with self._lock:
            self._kept.pop(path, None)
            self._asking.pop(path, None)
