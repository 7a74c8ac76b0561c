"""A rate limit on the few routes of an app that have one (signing in at the gateway,
behaviour tracking in analytics), per client.

Counted with ``limits`` (the engine of Flask-Limiter, with the same storage URIs:
``memory://``, ``redis://...``) only when such a route is asked. Flask-Limiter's hooks
ran before and after every request of the app, about 50 µs a request together (measured
on a bare Flask route), though only those routes were limited.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, after_this_request, request
from limits import RateLimitItem, parse, storage, strategies

from service_runtime.errors import Problem

View = Callable[..., Any]


class TooManyRequests(Problem):
    status, slug, title = 429, "too-many-requests", "Too Many Requests"


class RateLimit:
    """``limit`` (``"20/minute"``) per client (``client()``, e.g. its address), fixed
    windows, shared by every process that uses the same ``storage_uri``."""

    def __init__(self, limit: str, scope: str, storage_uri: str,
                 client: Callable[[], str]) -> None:
        self.item: RateLimitItem = parse(limit)
        self.scope = scope
        self.client = client
        self.limiter = strategies.FixedWindowRateLimiter(storage.storage_from_string(storage_uri))

    def guard(self, view: View) -> View:
        """``view``, counted and refused past the limit (429 problem with
        ``Retry-After``); its answers say where the caller stands (``X-RateLimit-*``).
        A CORS preflight is not counted."""

        @functools.wraps(view)
        def limited(*args: Any, **kwargs: Any) -> Any:
            if request.method != "OPTIONS":
                self.count()
            return view(*args, **kwargs)

        return limited

    def guard_blueprint(self, app: Flask, blueprint: str) -> None:
        """Every route of the app's ``blueprint`` (by name), counted together."""
        for endpoint, view in list(app.view_functions.items()):
            if endpoint.startswith(blueprint + "."):
                app.view_functions[endpoint] = self.guard(view)

    def count(self) -> None:
        key = self.client()
        allowed = self.limiter.hit(self.item, self.scope, key)
        window = self.limiter.get_window_stats(self.item, self.scope, key)
        if not allowed:
            refused = TooManyRequests(str(self.item))
            refused.retry_after_s = max(1, math.ceil(window.reset_time - time.time()))
            raise refused
        headers = {"X-RateLimit-Limit": str(self.item.amount),
                   "X-RateLimit-Remaining": str(window.remaining),
                   "X-RateLimit-Reset": str(math.ceil(window.reset_time))}

        @after_this_request
        def tell(response: Response) -> Response:
            response.headers.update(headers)
            return response
