"""A short-lived cache of the public catalog's anonymous answers.

A product list or a product page is the same for every anonymous shopper, and thousands
of them a second would otherwise each cost the catalog a query with facets. Each gateway
process keeps such answers for ``GATEWAY_CACHE_TTL_MS`` (1 s by default): a kept answer
is never older than that, so stock or a price changed by an event shows within about a
second, with no invalidation messages to lose. One request at a time asks upstream for a
key; the others are given the answer kept, or wait for that request.

Only 200 answers to a ``GET`` without ``Authorization`` or ``X-Cart-Token`` on a public
catalog path are kept, at most ``GATEWAY_CACHE_ENTRIES`` of them (least recently used
leave first). Every such answer carries an ``ETag`` (``If-None-Match`` gets a 304),
``Cache-Control: public, max-age=1`` and ``Vary: Authorization, X-Cart-Token``, so a browser
or a CDN may keep it for as long again, for anonymous requests.
"""

from __future__ import annotations

import contextvars
import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from flask import Request, Response, copy_current_request_context

from api_gateway.proxy import upstream_path

# The catalog's public reads (categories, lists and search, product pages, suggestions),
# a product's reviews and its recommendations: none depends on who asks.
PUBLIC_READS = re.compile(
    r"/api/v1/(categories|products|products/[^/]+|products/[^/]+/(reviews|recommendations)"
    r"|search/suggest)\Z")
CACHE_CONTROL = "public, max-age=1"
# Whoever carries a token gets an answer of their own, never one kept for the public.
PERSONAL_HEADERS = ("Authorization", "X-Cart-Token")
MAX_BODY_BYTES = 1024 * 1024
# The rest of a value's life is the time its next fetch has, while the value is still given.
REFRESH_AT = 0.75
REFRESHERS = 4

T = TypeVar("T")


def cache_key(request: Request) -> str | None:
    """The key of a request whose answer may be shared, else None."""
    if request.method != "GET" or not PUBLIC_READS.match(request.path) \
            or any(header in request.headers for header in PERSONAL_HEADERS):
        return None
    # The path as sent upstream: decoded, an id's %3F would make it another path's query.
    return f"{upstream_path()}?{request.query_string.decode('latin-1')}"


@dataclass(frozen=True)
class Answer:
    """An answer kept to be given again: the body as sent, never encoded again."""

    body: bytes
    content_type: str
    etag: str


@dataclass
class _Flight:
    """One caller fetching a key; the others asking for it meanwhile wait for it (or, if
    there is one, take the value kept before)."""

    done: threading.Event = field(default_factory=threading.Event)
    running: bool = False  # a refresh may still wait for a free refresher
    value: object | None = None


class ShortCache:
    """Values never older than ``ttl_s`` seconds (counted from when their fetch began), at
    most ``max_entries`` of them (least recently used leave first), each fetched by one
    caller at a time.

    A value past ``REFRESH_AT`` of its life is fetched again in the background while every
    caller is still given the one kept: so while a key is in use nobody waits for upstream.
    Only a key unused for its whole life makes its next callers wait.
    """

    def __init__(self, ttl_s: float, max_entries: int, wait_s: float,
                 clock: Callable[[], float] | None = None) -> None:
        self.ttl_s = ttl_s
        self._clock = clock or time.monotonic  # tests step one of their own
        self.max_entries = max_entries
        self.wait_s = wait_s  # how long a caller waits for the fetch in flight
        self._values: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self._flights: dict[Hashable, _Flight] = {}
        self._lock = threading.Lock()
        self._refreshers = ThreadPoolExecutor(REFRESHERS, thread_name_prefix="cache-refresh")

    def get(self, key: Hashable, fetch: Callable[[], tuple[T, bool]],
            detach: Callable[[], Callable[[], tuple[T, bool]]] | None = None) -> T:
        """The value kept for ``key``, or ``fetch()``'s (kept when it says so).

        A refresh in the background calls ``detach()`` here for a ``fetch`` that works in
        another thread, after this call returned (``fetch`` itself by default).
        """
        if self.ttl_s <= 0:
            return fetch()[0]
        with self._lock:
            now = self._clock()
            fetched_at, value = self._values.get(key, (-self.ttl_s, None))
            age = now - fetched_at
            flight = self._flights.get(key)
            fresh = age < self.ttl_s
            if fresh:
                self._values.move_to_end(key)
            refresh = fresh and age >= self.ttl_s * REFRESH_AT and flight is None
            leading = flight is None and not fresh
            if refresh or leading:
                flight = self._flights[key] = _Flight(running=leading)
        if refresh:
            try:
                self._refreshers.submit(self._fill, key, flight,
                                        detach() if detach else fetch, now)
            except BaseException:
                self._land(key, flight)
                raise
        if fresh:
            return value  # type: ignore[return-value]
        if leading:
            return self._fill(key, flight, fetch, now)
        if flight.running and flight.done.wait(self.wait_s) and flight.value is not None:
            return flight.value  # type: ignore[return-value]
        # Not one to keep, or a refresh still queued behind others: not worth waiting for.
        value, keep = fetch()
        if keep:
            self._store(key, value, now)
        return value

    def _fill(self, key: Hashable, flight: _Flight, fetch: Callable[[], tuple[T, bool]],
              started: float) -> T:
        flight.running = True
        try:
            value, keep = fetch()
            if keep:
                flight.value = value
                self._store(key, value, started)
            return value
        finally:
            self._land(key, flight)

    def _store(self, key: Hashable, value: object, fetched_at: float) -> None:
        with self._lock:
            if self._values.get(key, (fetched_at,))[0] > fetched_at:
                return  # a fresher one landed meanwhile
            self._values[key] = (fetched_at, value)
            self._values.move_to_end(key)
            while len(self._values) > self.max_entries:
                self._values.popitem(last=False)

    def _land(self, key: Hashable, flight: _Flight) -> None:
        flight.done.set()
        with self._lock:
            del self._flights[key]


def respond(cache: ShortCache, request: Request, fetch: Callable[[], Response]) -> Response:
    """The answer to ``request``: a kept one, or ``fetch()``ed and kept if it may be (a 200
    that does not say ``no-store`` or ``private``)."""
    key = cache_key(request)
    if key is None:
        return fetch()

    def answer() -> tuple[Answer | Response, bool]:
        response = fetch()
        body = response.get_data()
        if response.status_code != 200 or len(body) > MAX_BODY_BYTES \
                or response.cache_control.no_store or response.cache_control.private:
            return response, False
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        return Answer(body, response.content_type or "application/json", digest), True

    def detached() -> Callable[[], tuple[Answer | Response, bool]]:
        """``answer`` for a refresh that runs after this request has been answered."""
        return partial(copy_current_request_context(contextvars.copy_context().run), answer)

    kept = cache.get(key, answer, detached)
    if not isinstance(kept, Answer):
        return kept
    response = Response(kept.body, status=200, content_type=kept.content_type)
    response.set_etag(kept.etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.update(PERSONAL_HEADERS)  # a CDN too keeps it for anonymous requests only
    return response.make_conditional(request)
