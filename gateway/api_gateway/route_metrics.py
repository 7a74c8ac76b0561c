"""The gateway's metrics per upstream service and per route template.

The runtime's ``http_requests_total`` sees one Flask rule, ``/api/v1/<path:_path>``, for
every forwarded request. Here each request is counted under the service it went to and
the route template of that service's OpenAPI document that it matches
(``/api/v1/orders/{order_id}``), so a slow or failing operation shows itself.

The templates come from the services' own documents, fetched in the background (a
service that is down when the gateway starts is asked again later), so a new route of a
service is known without changing the gateway. A path that matches no template counts
as ``route="other"``: a client sending random paths cannot grow the number of series.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable

from prometheus_client import Counter, Histogram

from service_runtime.metrics import LATENCY_BUCKETS

log = logging.getLogger(__name__)

OTHER_ROUTE = "other"  # a path no service documents
NO_SERVICE = "none"  # an /api/v1 path no service answers (the gateway's 404)
PAGES_SERVICE = "web"  # the storefront and the admin console
PAGES_ROUTE = "pages"

GATEWAY_REQUESTS = Counter(
    "gateway_requests_total",
    "Requests the gateway answered, by upstream service and route template",
    ["service", "method", "route", "status"],
)
GATEWAY_LATENCY = Histogram(
    "gateway_request_duration_seconds",
    "Time to answer a request at the gateway, upstream included, by service and route",
    ["service", "method", "route"],
    buckets=LATENCY_BUCKETS,
)


class UpstreamFailure(enum.StrEnum):
    TIMEOUT = "timeout"  # the service did not answer in time: the client got a 504
    UNAVAILABLE = "unavailable"  # no connection to the service: the client got a 503


GATEWAY_UPSTREAM_FAILURES = Counter(
    "gateway_upstream_failures_total",
    "Forwarded requests the upstream service did not answer (504 timeout, 503 unavailable)",
    ["service", "reason"],
)

_PARAMETER = re.compile(r"\{[^/{}]+\}")


def _specificity(template: str) -> tuple[int, ...]:
    """Literal segments before parameters: ``/orders/preview`` wins over ``/orders/{id}``."""
    return tuple(1 if _PARAMETER.fullmatch(part) else 0 for part in template.split("/"))


class RouteTemplates:
    """The route templates of the services behind the gateway, matched against paths."""

    def __init__(self, templates: Iterable[str] = ()) -> None:
        self._by_length: dict[int, list[tuple[re.Pattern[str], str]]] = {}
        self._lock = threading.Lock()
        self._started = False
        self.load: Callable[[], tuple[list[str], bool]] | None = None
        self.replace(templates)

    def replace(self, templates: Iterable[str]) -> None:
        by_length: dict[int, list[tuple[tuple[int, ...], re.Pattern[str], str]]] = {}
        for template in set(templates):
            parts = ["[^/]+" if _PARAMETER.fullmatch(part) else re.escape(part)
                     for part in template.split("/")]
            pattern = re.compile("/".join(parts) + r"\Z")
            by_length.setdefault(template.count("/"), []).append(
                (_specificity(template), pattern, template))
        self._by_length = {length: [(p, t) for _, p, t in sorted(
            entries, key=lambda entry: (entry[0], entry[2]))]
                           for length, entries in by_length.items()}

    @property
    def templates(self) -> list[str]:
        return sorted(t for entries in self._by_length.values() for _, t in entries)

    def route(self, path: str) -> str:
        """The template ``path`` matches, or ``other``."""
        for pattern, template in self._by_length.get(path.count("/"), ()):
            if pattern.match(path):
                return template
        return OTHER_ROUTE

    def refresh(self, load: Callable[[], tuple[list[str], bool]]) -> bool:
        """Load the templates now; True when every service answered."""
        templates, complete = load()
        if templates:
            self.replace(templates)
        return complete

    def keep_loaded(self, load: Callable[[], tuple[list[str], bool]], first_s: float = 2,
                    retry_s: float = 30, refresh_s: float = 300) -> None:
        """Load the templates in a background thread (once per process: gunicorn forks
        its workers, so this runs at the first request, not when the app is built): first
        ``first_s`` later (the first requests of a new process do not share it with eight
        document fetches), again after ``retry_s`` while a service did not answer, else
        every ``refresh_s`` (a service deployed with new routes). Until then, and for a
        service that never answered, requests count as ``other``.

        The thread holds these templates weakly: it ends once their app is gone.
        """
        with self._lock:
            if self._started:
                return
            self._started = True
        self.load = load
        templates = weakref.ref(self)

        def loop() -> None:
            time.sleep(first_s)
            while (alive := templates()) is not None:
                complete = False
                try:
                    complete = alive.refresh(load)
                except Exception:
                    log.exception("route templates: loading the services' documents failed")
                del alive
                time.sleep(refresh_s if complete else retry_s)

        threading.Thread(target=loop, name="route-templates", daemon=True).start()


def record(service: str, method: str, route: str, status: int, seconds: float) -> None:
    GATEWAY_REQUESTS.labels(service, method, route, str(status)).inc()
    GATEWAY_LATENCY.labels(service, method, route).observe(seconds)


def count_failures_from_zero(services: Iterable[str]) -> None:
    """Export every service's failure counters at 0 (in each gunicorn worker, at its first
    request: the master writes no metric), so a query or alert sees a series before the
    first failure and ``rate()`` counts that first one."""
    for service in services:
        for reason in UpstreamFailure:
            GATEWAY_UPSTREAM_FAILURES.labels(service, reason.value)


def record_failure(service: str, reason: UpstreamFailure) -> None:
    GATEWAY_UPSTREAM_FAILURES.labels(service, reason.value).inc()
