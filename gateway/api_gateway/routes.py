"""Which service answers which public path."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from service_runtime.config import Process, laptop_default

# Service name -> its API's port in the embedded default.
LOCAL_PORTS = {"user": 8101, "catalog": 8102, "cart": 8103, "order": 8104, "payment": 8105,
               "logistics": 8106, "aftersales": 8107}
# Service name -> default base URL, read from <SERVICE>_SERVICE_URL.
DEFAULT_UPSTREAMS = {
    name: laptop_default(f"{name.upper()}_SERVICE_URL", f"http://127.0.0.1:{port}",
                         read_by=[("gateway", Process.API)])
    for name, port in LOCAL_PORTS.items()
}

# First match wins, so more specific patterns come first.
ROUTES: list[tuple[str, str]] = [
    (r"/api/v1/orders/[^/]+/tracking", "logistics"),
    (r"/api/v1/products/[^/]+/reviews", "aftersales"),
    (r"/api/v1/(auth|users)(/.*)?", "user"),
    (r"/api/v1/(categories|products|search)(/.*)?", "catalog"),
    (r"/api/v1/admin/(products|skus)(/.*)?", "catalog"),
    (r"/api/v1/cart(/.*)?", "cart"),
    (r"/api/v1/orders(/.*)?", "order"),
    (r"/api/v1/(payments|wallet)(/.*)?", "payment"),
    (r"/api/v1/admin/reconciliation(/.*)?", "payment"),
    (r"/api/v1/logistics(/.*)?", "logistics"),
    (r"/api/v1/admin/shipments(/.*)?", "logistics"),
    (r"/api/v1/(returns|reviews|tickets)(/.*)?", "aftersales"),
    (r"/api/v1/admin/(returns|tickets)(/.*)?", "aftersales"),
]
_COMPILED = [(re.compile(pattern + r"\Z"), service) for pattern, service in ROUTES]


@dataclass(frozen=True)
class Upstreams:
    urls: dict[str, str]

    @classmethod
    def from_env(cls) -> Upstreams:
        return cls({
            name: os.environ.get(f"{name.upper()}_SERVICE_URL", default).rstrip("/")
            for name, default in DEFAULT_UPSTREAMS.items()
        })


def service_for(path: str) -> str | None:
    for pattern, service in _COMPILED:
        if pattern.match(path):
            return service
    return None
